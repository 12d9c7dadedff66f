namespace Microsoft.ML.PromptLearning.Training;

/// <summary>What a <see cref="TrainingProgress"/> event reports.</summary>
public enum TrainingEventKind
{
    /// <summary>An optimizer step finished; <see cref="TrainingProgress.Loss"/> is that step's loss.</summary>
    Step,
    /// <summary>Every <c>LoggingSteps</c> steps; <see cref="TrainingProgress.Loss"/> is the mean loss since the previous log.</summary>
    Log,
    /// <summary>A validation finished.</summary>
    Evaluation,
    /// <summary>A checkpoint folder was written.</summary>
    Checkpoint,
}

/// <summary>A training event for progress displays (the trainers' <c>Progress</c> option).</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Step">Optimizer steps done.</param>
/// <param name="TotalSteps">Steps the run will take without early stopping.</param>
/// <param name="Epoch">Completed passes over the training data.</param>
/// <param name="Loss">Training loss (see <see cref="TrainingEventKind"/>).</param>
/// <param name="LearningRate">Learning rate of the last step: the pretrained model's group (the head's when the model is frozen).</param>
/// <param name="SamplesPerSecond">Training examples per second in this run.</param>
public sealed record TrainingProgress(TrainingEventKind Kind, long Step, long TotalSteps, int Epoch, double Loss, double LearningRate, double SamplesPerSecond)
{
    /// <summary>Validation accuracy (evaluation events; macro-F1 at the default threshold for multi-label models), otherwise NaN.</summary>
    public double ValidationAccuracy { get; init; } = double.NaN;

    /// <summary>Best validation accuracy so far (evaluation events), otherwise NaN.</summary>
    public double BestValidationAccuracy { get; init; } = double.NaN;

    /// <summary>Step of the best validation accuracy (evaluation events).</summary>
    public long BestStep { get; init; }

    /// <summary>The folder written (checkpoint events).</summary>
    public string CheckpointPath { get; init; }
}

/// <summary>Where a training run stands, for a host's progress display (read on demand while the loop runs).</summary>
/// <param name="Step">Optimizer steps done.</param>
/// <param name="TotalSteps">Optimizer steps planned.</param>
/// <param name="Loss">The latest step's loss (NaN before the first).</param>
/// <param name="ValidationAccuracy">The latest validation accuracy, or null before the first evaluation.</param>
internal readonly record struct TrainingStatus(long Step, long TotalSteps, double Loss, double? ValidationAccuracy);
