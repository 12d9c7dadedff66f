using System.Globalization;
using Microsoft.ML.PromptLearning.Training;
using Spectre.Console;

namespace Microsoft.ML.PromptLearning.Cli.Workflow;

/// <summary>
/// Shows training as it runs: a live Spectre.Console progress bar (step/total, ETA, loss, learning rate, it/s) with a line per
/// evaluation and checkpoint when a person watches a terminal; plain log lines otherwise (CI, files, pipes).
/// </summary>
internal sealed class TrainingDisplay
{
    private readonly TextWriter output;
    private readonly bool interactive;
    private ProgressTask task;
    private double smoothedLoss = double.NaN;

    public TrainingDisplay(TextWriter output)
    {
        this.output = output;
        interactive = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
    }

    /// <summary>Runs <paramref name="train"/> while showing its progress events (passed to the returned callback).</summary>
    public T Run<T>(Func<Action<TrainingProgress>, T> train)
    {
        if (!interactive) return train(OnPlain);
        T result = default;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                task = ctx.AddTask("training", autoStart: true, maxValue: 1);
                result = train(OnInteractive);
                task.StopTask();
            });
        return result;
    }

    private void OnInteractive(TrainingProgress p)
    {
        task.MaxValue = p.TotalSteps;
        task.Value = p.Step;
        if (p.Kind == TrainingEventKind.Step) smoothedLoss = double.IsNaN(smoothedLoss) ? p.Loss : 0.9 * smoothedLoss + 0.1 * p.Loss;
        task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"step {p.Step}/{p.TotalSteps} loss {smoothedLoss:F4} lr {p.LearningRate:E2} {p.SamplesPerSecond:F1} samples/s"));
        var line = Describe(p);
        if (line is not null) AnsiConsole.MarkupLine(Markup.Escape(line));
    }

    private void OnPlain(TrainingProgress p)
    {
        var line = p.Kind == TrainingEventKind.Log
            ? string.Create(CultureInfo.InvariantCulture, $"step {p.Step}/{p.TotalSteps} epoch {p.Epoch} loss {p.Loss:F4} lr {p.LearningRate:E2} {p.SamplesPerSecond:F1} samples/s")
            : Describe(p);
        if (line is null) return;
        output.WriteLine(line);
        output.Flush();
    }

    private static string Describe(TrainingProgress p) => p.Kind switch
    {
        TrainingEventKind.Evaluation => string.Create(CultureInfo.InvariantCulture,
            $"eval step {p.Step}: dev accuracy {p.ValidationAccuracy:P2} | best {p.BestValidationAccuracy:P2} at step {p.BestStep}"),
        TrainingEventKind.Checkpoint => $"saved {p.CheckpointPath}",
        _ => null,
    };
}
