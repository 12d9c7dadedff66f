using System.Text.Json;
using Microsoft.ML.PromptLearning.Training;

namespace Microsoft.ML.PromptLearning.Cli.Workflow;

/// <summary>
/// <c>training_log.jsonl</c>: one JSON row per logged loss and per evaluation (HF's <c>log_history</c>), the source of the
/// training-curve picture. Rows after the step a resumed run starts from are dropped, since the run writes them again.
/// </summary>
internal sealed class TrainingLog(string path)
{
    public void Truncate(long step) => StepLog.KeepUpToStep(path, step);


    public void Add(TrainingProgress p)
    {
        object row = p.Kind switch
        {
            TrainingEventKind.Log => new { step = p.Step, epoch = p.Epoch, loss = p.Loss, learning_rate = p.LearningRate, samples_per_second = Math.Round(p.SamplesPerSecond, 2) },
            TrainingEventKind.Evaluation => new { step = p.Step, epoch = p.Epoch, eval_accuracy = p.ValidationAccuracy, best_eval_accuracy = p.BestValidationAccuracy, best_step = p.BestStep },
            _ => null,
        };
        if (row is not null) File.AppendAllText(path, JsonSerializer.Serialize(row, RunFiles.JsonLine) + "\n");
    }

    public (List<(long Step, double Loss)> Loss, List<(long Step, double Accuracy)> Accuracy) Read()
    {
        var loss = new List<(long, double)>();
        var accuracy = new List<(long, double)>();
        if (!File.Exists(path)) return (loss, accuracy);
        foreach (var line in File.ReadAllLines(path))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            long step = root.GetProperty("step").GetInt64();
            if (root.TryGetProperty("loss", out var l)) loss.Add((step, l.GetDouble()));
            if (root.TryGetProperty("eval_accuracy", out var a)) accuracy.Add((step, a.GetDouble()));
        }
        return (loss, accuracy);
    }
}
