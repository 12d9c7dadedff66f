using System.Diagnostics;
using Microsoft.ML.PromptLearning.Data;
using Microsoft.ML.PromptLearning.Evaluation;

namespace Microsoft.ML.PromptLearning.Cli.Workflow;

/// <summary>Scores a labelled split and reports accuracy, macro-F1 and per-class precision/recall (PaddleNLP's <c>eval_*</c> keys).</summary>
internal sealed class SplitEvaluation
{
    public required string Split { get; init; }
    public required IReadOnlyList<LabeledText> Rows { get; init; }
    public required int[] Predicted { get; init; }
    public required float[][] Probabilities { get; init; }
    public required ClassificationReport Report { get; init; }
    public required IReadOnlyList<string> Labels { get; init; }
    public double Seconds { get; init; }

    public static SplitEvaluation Run(TrainedModel model, string split, IReadOnlyList<LabeledText> rows)
    {
        var clock = Stopwatch.StartNew();
        var (probabilities, predicted) = model.Predict(rows.Select(r => r.Text).ToList());
        double seconds = clock.Elapsed.TotalSeconds;
        var index = model.Labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i);
        var gold = rows.Select(r => index.TryGetValue(r.Label, out var i) ? i
            : throw new InvalidDataException($"{split}: label '{r.Label}' is not one of the model's labels ({string.Join(", ", model.Labels.Take(8))}…).")).ToArray();
        return new SplitEvaluation
        {
            Split = split, Rows = rows, Predicted = predicted, Probabilities = probabilities, Labels = model.Labels,
            Report = ClassificationReport.From(gold, predicted, model.Labels), Seconds = seconds,
        };
    }

    /// <summary>The results JSON with keys prefixed as PaddleNLP's Trainer does (<c>eval_accuracy</c>, <c>test_accuracy</c>, …).</summary>
    public Dictionary<string, object> ToJson(string prefix) => new()
    {
        [$"{prefix}_accuracy"] = Report.Accuracy,
        [$"{prefix}_macro_f1"] = Report.MacroF1,
        [$"{prefix}_samples"] = Rows.Count,
        [$"{prefix}_runtime"] = Math.Round(Seconds, 3),
        [$"{prefix}_samples_per_second"] = Math.Round(Rows.Count / Math.Max(1e-9, Seconds), 2),
        [$"{prefix}_per_class"] = Report.Classes.ToDictionary(c => c.Label, c => new { precision = c.Precision, recall = c.Recall, f1 = c.F1, support = c.Support }),
    };

    public void WriteTable(TextWriter w)
    {
        w.WriteLine($"{Split}: accuracy {Report.Accuracy:P2}, macro-F1 {Report.MacroF1:P2} ({Rows.Count} texts, {Rows.Count / Math.Max(1e-9, Seconds):F1} texts/s)");
        var table = new TextTable("label", "precision", "recall", "f1", "support");
        foreach (var c in Report.Classes) table.AddRow(c.Label, c.Precision.ToString("F3"), c.Recall.ToString("F3"), c.F1.ToString("F3"), c.Support.ToString());
        for (int i = 1; i < 5; i++) table.RightAligned.Add(i);
        table.Write(w);
    }

    /// <summary><c>text\tpredicted label</c> lines, one per input text in input order.</summary>
    public static IEnumerable<string> PredictionLines(IReadOnlyList<string> texts, int[] predicted, IReadOnlyList<string> labels) =>
        texts.Select((t, i) => $"{t}\t{labels[predicted[i]]}");
}
