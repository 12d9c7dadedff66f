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
    private readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
    private long firstStep = -1;

    private readonly string score;

    /// <param name="output">Where progress goes.</param>
    /// <param name="score">What the dev evaluations measure (accuracy, or macro-F1 for multi-label tasks).</param>
    public TrainingDisplay(TextWriter output, string score = "accuracy")
    {
        this.output = output;
        this.score = score;
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
            $"step {p.Step}/{p.TotalSteps} {StepsPerSecond(p.Step):F2} it/s loss {smoothedLoss:F4} lr {p.LearningRate:E2}"));
        var line = Describe(p);
        if (line is not null) AnsiConsole.MarkupLine(Markup.Escape(line));
    }

    /// <summary>Steps per second in this process (a resumed run starts counting at its first step).</summary>
    private double StepsPerSecond(long step)
    {
        if (firstStep < 0) { firstStep = step - 1; clock.Restart(); }
        return (step - firstStep) / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
    }

    private void OnPlain(TrainingProgress p)
    {
        double itPerSecond = p.Kind == TrainingEventKind.Step || p.Kind == TrainingEventKind.Log ? StepsPerSecond(p.Step) : 0;
        var line = p.Kind == TrainingEventKind.Log
            ? string.Create(CultureInfo.InvariantCulture, $"step {p.Step}/{p.TotalSteps} epoch {p.Epoch} loss {p.Loss:F4} lr {p.LearningRate:E2} {itPerSecond:F2} it/s {p.SamplesPerSecond:F1} samples/s")
            : Describe(p);
        if (line is null) return;
        output.WriteLine(line);
        output.Flush();
    }

    private string Describe(TrainingProgress p) => p.Kind switch
    {
        TrainingEventKind.Evaluation => string.Create(CultureInfo.InvariantCulture,
            $"eval step {p.Step}: dev {score} {p.ValidationAccuracy:P2} | best {p.BestValidationAccuracy:P2} at step {p.BestStep}"),
        TrainingEventKind.Checkpoint => $"saved {p.CheckpointPath}",
        _ => null,
    };
}
