using System.Diagnostics;
using Microsoft.ML.PromptLearning.Inference;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Training;

/// <summary>Hyper-parameters of the classifier training loop (filled from the public trainer options).</summary>
internal sealed class TrainingSettings
{
    public int BatchSize { get; init; } = 8;
    public int EvalBatchSize { get; init; } = 32;
    public long MaxSteps { get; init; } = -1;
    public int NumberOfEpochs { get; init; } = 10;
    public double LearningRate { get; init; } = 3e-5;
    public double HeadLearningRate { get; init; } = 3e-4;
    public double WeightDecay { get; init; }
    public long WarmupSteps { get; init; }
    public double MaxGradNorm { get; init; } = 1.0;
    public int EvalSteps { get; init; }
    public int EarlyStoppingPatience { get; init; } = 4;
    public int LoggingSteps { get; init; } = 10;
    public int Seed { get; init; } = 42;
    public bool FreezePlm { get; init; }
    public bool FreezeDropout { get; init; }
    public bool UseRDrop { get; init; }
    public double AlphaRDrop { get; init; } = 5.0;
    public bool UseRgl { get; init; }
    public double AlphaRgl { get; init; } = 0.5;
    public int PadId { get; init; }
    /// <summary>Temperature of the distillation loss on examples with a soft label (<see cref="EncodedExample.SoftLabel"/>).</summary>
    public double DistillationTemperature { get; init; } = 1.0;

    /// <summary>Value of <see cref="ResumeFromCheckpoint"/> that picks the newest complete checkpoint in <see cref="CheckpointDirectory"/>.</summary>
    public const string LatestCheckpoint = "latest";

    /// <summary>Folder for <c>checkpoint-N</c> folders (null = no checkpoints).</summary>
    public string CheckpointDirectory { get; init; }
    public int SaveSteps { get; init; }
    public int SaveTotalLimit { get; init; }
    /// <summary>A checkpoint folder, <see cref="LatestCheckpoint"/>, or null for a fresh start.</summary>
    public string ResumeFromCheckpoint { get; init; }
    /// <summary>Extra files written into every checkpoint (name → text), e.g. the template and verbalizer configuration.</summary>
    public IReadOnlyDictionary<string, string> CheckpointFiles { get; init; }
    public Action<TrainingProgress> Progress { get; init; }
    public CancellationToken Cancellation { get; init; }
    /// <summary>Loss, probabilities and validation score: single-label (default) or multi-label.</summary>
    public LabelObjective Objective { get; init; } = LabelObjective.SingleLabel;
}

/// <summary>One evaluation during training.</summary>
public sealed record EvaluationPoint(long Step, double Loss, double ValidationAccuracy);

/// <summary>What happened during training.</summary>
/// <param name="Steps">Optimizer steps run.</param>
/// <param name="BestStep">Step whose weights were kept (the last step without a validation set).</param>
/// <param name="BestValidationAccuracy">Validation accuracy at <paramref name="BestStep"/> (macro-F1 at the default threshold for multi-label models; NaN without a validation set).</param>
/// <param name="TrainSeconds">Wall time of the loop.</param>
/// <param name="SamplesPerSecond">Training examples processed per second (forward + backward).</param>
/// <param name="History">Every evaluation.</param>
public sealed record TrainingReport(long Steps, long BestStep, double BestValidationAccuracy, double TrainSeconds, double SamplesPerSecond, IReadOnlyList<EvaluationPoint> History)
{
    /// <summary>Training texts cut to fit <c>MaxSequenceLength</c>.</summary>
    public int TruncatedTrainingTexts { get; init; }

    /// <summary>Mean share of their tokens that the cut training texts lost (0 when none was cut).</summary>
    public double MeanDroppedShare { get; init; }
}

/// <summary>
/// The training loop shared by the prompt and fine-tune classifiers: AdamW with two parameter groups (PLM at the
/// learning rate, prompt/verbalizer/classifier head at the head rate; no decay on biases and LayerNorms), linear warmup
/// and decay, gradient clipping, R-Drop and RGL auxiliary losses, periodic validation with early stopping that restores
/// the best weights, deterministic for a given seed on the CPU.
/// </summary>
internal static class ClassifierTrainingLoop
{
    internal const string StateFile = "trainer_state.json";
    internal const string WeightsFile = "model_state.safetensors";
    internal const string BestWeightsFile = "best_model_state.safetensors";
    internal const string OptimizerFile = "optimizer.bin";

    public static TrainingReport Run(ClassifierNet net, IReadOnlyList<EncodedExample> train, IReadOnlyList<EncodedExample> validation,
        TrainingSettings s, Device device, Action<string> log, Action<Func<TrainingStatus>> watch, Action checkAlive)
    {
        if (train.Count == 0) throw new InvalidOperationException("The training data has no labelled rows.");
        var objective = s.Objective ?? LabelObjective.SingleLabel;
        objective.Check(s);
        bool freezePlm = s.FreezePlm || s.FreezeDropout;
        foreach (var (_, p) in net.PlmParameters()) p.requires_grad = !freezePlm;
        var sets = new List<ParameterSet> { new(net.HeadParameters().ToList(), s.HeadLearningRate, s.WeightDecay) };
        if (!freezePlm) sets.Add(new ParameterSet(net.PlmParameters().ToList(), s.LearningRate, s.WeightDecay));
        var (optimizer, peaks) = OptimizerFactory.AdamW(sets);

        var lengths = train.Select(e => e.Length).ToArray();
        int batchesPerEpoch = (train.Count + s.BatchSize - 1) / s.BatchSize;
        long totalSteps = s.MaxSteps > 0 ? s.MaxSteps : (long)Math.Max(1, s.NumberOfEpochs) * batchesPerEpoch;
        int evalEvery = s.EvalSteps > 0 ? s.EvalSteps : batchesPerEpoch;
        bool validate = validation is { Count: > 0 };

        var state = new TrainerState { TotalSteps = totalSteps, TrainExamples = train.Count, BatchSize = s.BatchSize, Seed = s.Seed };
        Dictionary<string, Tensor> best = null;
        var resumeDir = ResolveResume(s);
        if (resumeDir is not null)
        {
            state = TrainerState.Resume(resumeDir, net, optimizer, out best);
            state.CheckCompatible(resumeDir, totalSteps, train.Count, s.BatchSize, s.Seed);
            log?.Invoke($"resumed from {resumeDir} at step {state.Step}");
        }
        var clock = Stopwatch.StartNew();
        double secondsBefore = state.TrainSeconds;
        long samplesBefore = state.Samples;
        long stepsBefore = state.Step;
        watch?.Invoke(() => new TrainingStatus(state.Step, totalSteps, state.LastLoss, state.History.Count > 0 ? state.History[^1].ValidationAccuracy : null));

        List<int[]> epochBatches = null;
        while (state.Step < totalSteps && !state.EarlyStopped)
        {
            checkAlive?.Invoke();
            s.Cancellation.ThrowIfCancellationRequested();
            // The data order of epoch e depends only on (seed, e), so a resumed run continues with the same batches.
            epochBatches ??= LengthBuckets.TrainingBatches(lengths, s.BatchSize, new Random(unchecked(s.Seed * 1_000_003 + state.Epoch)));
            var indices = epochBatches[state.BatchInEpoch];
            double factor = LearningRateSchedule.Factor(state.Step, s.WarmupSteps, totalSteps, DecayShape.Linear);
            OptimizerFactory.ApplySchedule(optimizer, peaks, factor);
            manual_seed(s.Seed * 1_000_003L + state.Step);   // dropout depends only on (seed, step): exact resume
            net.TrainMode(s.FreezeDropout);
            using (var scope = NewDisposeScope())
            {
                var batch = ClassifierBatch.Collate(indices.Select(i => train[i]).ToList(), device, s.PadId);
                Tensor Loss(ClassifierOutput o) => objective.Loss(net, o, batch, s);
                var output = net.Forward(batch);
                var loss = Loss(output);
                if (s.UseRDrop)
                {
                    var again = net.Forward(batch);
                    loss = (loss + Loss(again)) / 2 + s.AlphaRDrop * AuxiliaryLosses.RDrop(output.Logits, again.Logits);
                }
                if (s.UseRgl) loss = loss + AuxiliaryLosses.Rgl(output.Features, batch.Labels, s.AlphaRgl);
                optimizer.zero_grad();
                loss.backward();
                var trainable = sets.SelectMany(x => x.Parameters).Select(p => p.Parameter).Where(p => p.requires_grad && p.grad is not null).ToList();
                if (s.MaxGradNorm > 0 && trainable.Count > 0) nn.utils.clip_grad_norm_(trainable, s.MaxGradNorm);
                optimizer.step();
                state.LastLoss = loss.item<float>();
            }
            state.Step++;
            state.Samples += indices.Length;
            if (++state.BatchInEpoch == epochBatches.Count) { state.Epoch++; state.BatchInEpoch = 0; epochBatches = null; }
            state.LossSum += state.LastLoss; state.LossCount++;
            state.TrainSeconds = secondsBefore + clock.Elapsed.TotalSeconds;
            double samplesPerSecond = (state.Samples - samplesBefore) / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            double lr = peaks[^1] * factor;
            s.Progress?.Invoke(new TrainingProgress(TrainingEventKind.Step, state.Step, totalSteps, state.Epoch, state.LastLoss, lr, samplesPerSecond));
            if (s.LoggingSteps > 0 && state.Step % s.LoggingSteps == 0)
            {
                double mean = state.LossSum / state.LossCount;
                log?.Invoke($"step {state.Step}/{totalSteps} ({100.0 * state.Step / totalSteps:F0}%) loss {mean:F4} lr {lr:E2} " +
                              $"({samplesPerSecond:F1} samples/s, {TimeLeft(clock.Elapsed, state.Step - stepsBefore, totalSteps - state.Step)} left)");
                s.Progress?.Invoke(new TrainingProgress(TrainingEventKind.Log, state.Step, totalSteps, state.Epoch, mean, lr, samplesPerSecond));
                state.LossSum = 0; state.LossCount = 0;
            }
            if (validate && (state.Step % evalEvery == 0 || state.Step == totalSteps))
            {
                double accuracy = objective.ValidationScore(TorchScoring.PredictProbabilities(net, validation, s.EvalBatchSize, device, s.PadId, objective.Activation), validation);
                state.History.Add(new EvaluationPoint(state.Step, state.LastLoss, accuracy));
                if (accuracy > state.BestAccuracy)
                {
                    state.BestAccuracy = accuracy; state.BestStep = state.Step; state.EvalsWithoutImprovement = 0;
                    best = Snapshot(net, best);
                }
                else state.EvalsWithoutImprovement++;
                log?.Invoke($"eval step {state.Step}: validation {objective.ScoreName} {accuracy:P2} (best {state.BestAccuracy:P2} at step {state.BestStep})");
                s.Progress?.Invoke(new TrainingProgress(TrainingEventKind.Evaluation, state.Step, totalSteps, state.Epoch, state.LastLoss, lr, samplesPerSecond)
                    { ValidationAccuracy = accuracy, BestValidationAccuracy = state.BestAccuracy, BestStep = state.BestStep });
                if (s.EarlyStoppingPatience > 0 && state.EvalsWithoutImprovement >= s.EarlyStoppingPatience)
                {
                    log?.Invoke($"early stopping at step {state.Step}: no improvement in {state.EvalsWithoutImprovement} evaluations");
                    state.EarlyStopped = true;
                }
            }
            bool last = state.Step == totalSteps || state.EarlyStopped;
            if (s.CheckpointDirectory is not null && s.SaveSteps > 0 && (state.Step % s.SaveSteps == 0 || last))
            {
                var dir = state.Save(s, net, optimizer, best);
                log?.Invoke($"saved {dir}");
                s.Progress?.Invoke(new TrainingProgress(TrainingEventKind.Checkpoint, state.Step, totalSteps, state.Epoch, state.LastLoss, lr, samplesPerSecond) { CheckpointPath = dir });
            }
        }
        if (best is not null)
        {
            Restore(net, best);
            foreach (var t in best.Values) t.Dispose();
        }
        else state.BestStep = state.Step;
        net.eval();
        double seconds = state.TrainSeconds;
        return new TrainingReport(state.Step, state.BestStep, validate ? state.BestAccuracy : double.NaN, seconds, state.Samples / Math.Max(1e-9, seconds), state.History);
    }

    /// <summary>Time left at this run's pace, as m:ss or h:mm:ss.</summary>
    internal static string TimeLeft(TimeSpan elapsed, long stepsDone, long stepsLeft)
    {
        var left = TimeSpan.FromSeconds(stepsDone <= 0 ? 0 : elapsed.TotalSeconds / stepsDone * stepsLeft);
        return left.TotalHours >= 1 ? $"{(int)left.TotalHours}:{left:mm\\:ss}" : $"{(int)left.TotalMinutes}:{left:ss}";
    }

    /// <summary>The checkpoint to resume from: a folder, or the newest complete one in the checkpoint directory for "latest".</summary>
    private static string ResolveResume(TrainingSettings s)
    {
        if (string.IsNullOrEmpty(s.ResumeFromCheckpoint)) return null;
        if (s.ResumeFromCheckpoint == TrainingSettings.LatestCheckpoint)
        {
            if (s.CheckpointDirectory is null) throw new InvalidOperationException("Resuming from the latest checkpoint needs a checkpoint directory.");
            return CheckpointFolders.Latest(s.CheckpointDirectory, StateFile);   // none yet: a fresh start
        }
        if (!Directory.Exists(s.ResumeFromCheckpoint))
            throw new DirectoryNotFoundException($"Checkpoint folder '{s.ResumeFromCheckpoint}' does not exist.");
        if (!File.Exists(Path.Combine(s.ResumeFromCheckpoint, StateFile)))
            throw new InvalidDataException($"'{s.ResumeFromCheckpoint}' is not a complete checkpoint (no {StateFile}); it may have been interrupted while being written. Resume from an earlier checkpoint-N folder.");
        return s.ResumeFromCheckpoint;
    }

    private static Dictionary<string, Tensor> Snapshot(ClassifierNet net, Dictionary<string, Tensor> previous)
    {
        if (previous is not null) foreach (var t in previous.Values) t.Dispose();
        using var noGrad = no_grad();
        return net.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone().DetachFromDisposeScope());
    }

    private static void Restore(ClassifierNet net, Dictionary<string, Tensor> state)
    {
        using var noGrad = no_grad();
        foreach (var (name, p) in net.named_parameters()) p.copy_(state[name]);
    }
}
