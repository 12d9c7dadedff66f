using Microsoft.ML.PromptLearning.Data;
using Microsoft.ML.PromptLearning.MultiLabel;

namespace Microsoft.ML.PromptLearning.Cli.Workflow;

/// <summary>
/// Scores a labelled multi-label or hierarchical split: micro/macro precision, recall and F1, subset accuracy, Hamming
/// loss, per-label figures and, for a label tree, per-level figures (the keys of PaddleNLP's multi-label reports, prefixed as
/// its Trainer does: <c>eval_micro_f1</c>, <c>test_macro_f1</c>, …).
/// </summary>
internal sealed class MultiLabelSplitEvaluation
{
    public required string Split { get; init; }
    public required IReadOnlyList<MultiLabeledText> Rows { get; init; }
    public required int[][] Predicted { get; init; }
    public required MultiLabelClassificationMetrics Metrics { get; init; }
    public double Seconds { get; init; }

    /// <summary>Evaluates predicted label sets (class indices) against the rows' labels.</summary>
    public static MultiLabelSplitEvaluation From(string split, IReadOnlyList<MultiLabeledText> rows, int[][] predicted, IReadOnlyList<string> labels,
        LabelHierarchy hierarchy, double seconds)
    {
        var index = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
        var gold = rows.Select(r => (IReadOnlyCollection<int>)r.Labels.Select(l => index.TryGetValue(l, out var i) ? i
            : throw new InvalidDataException($"{split}: label '{l}' is not one of the model's labels ({string.Join(", ", labels.Take(8))}…).")).ToArray()).ToArray();
        return new MultiLabelSplitEvaluation
        {
            Split = split, Rows = rows, Predicted = predicted, Seconds = seconds,
            Metrics = MultiLabelClassificationMetrics.Compute(gold, predicted, labels, hierarchy is { Depth: > 1 } ? hierarchy : null),
        };
    }

    /// <summary>The results JSON: overall figures, per label and per level.</summary>
    public Dictionary<string, object> ToJson(string prefix)
    {
        var m = Metrics;
        var json = new Dictionary<string, object>
        {
            [$"{prefix}_micro_f1"] = m.MicroF1,
            [$"{prefix}_macro_f1"] = m.MacroF1,
            [$"{prefix}_micro_precision"] = m.MicroPrecision,
            [$"{prefix}_micro_recall"] = m.MicroRecall,
            [$"{prefix}_macro_precision"] = m.MacroPrecision,
            [$"{prefix}_macro_recall"] = m.MacroRecall,
            [$"{prefix}_subset_accuracy"] = m.SubsetAccuracy,
            [$"{prefix}_hamming_loss"] = m.HammingLoss,
            [$"{prefix}_samples"] = Rows.Count,
            [$"{prefix}_runtime"] = Math.Round(Seconds, 3),
            [$"{prefix}_samples_per_second"] = Math.Round(Rows.Count / Math.Max(1e-9, Seconds), 2),
            [$"{prefix}_per_label"] = PerLabel(m),
        };
        if (m.PerLevel.Count > 0)
            json[$"{prefix}_per_level"] = m.PerLevel.Select((l, i) => new Dictionary<string, object>
            {
                ["level"] = i + 1, ["labels"] = l.PerLabel.Count, ["micro_f1"] = l.MicroF1, ["macro_f1"] = l.MacroF1,
                ["subset_accuracy"] = l.SubsetAccuracy, ["hamming_loss"] = l.HammingLoss,
            }).ToList();
        return json;
    }

    private static Dictionary<string, object> PerLabel(MultiLabelClassificationMetrics m) =>
        m.PerLabel.ToDictionary(s => s.Label, s => (object)new { precision = s.Precision, recall = s.Recall, f1 = s.F1, support = s.Support });

    public void WriteTable(TextWriter w)
    {
        var m = Metrics;
        w.WriteLine($"{Split}: micro-F1 {m.MicroF1:P2}, macro-F1 {m.MacroF1:P2}, subset accuracy {m.SubsetAccuracy:P2}, Hamming loss {m.HammingLoss:F4} " +
                    $"({Rows.Count} texts, {Rows.Count / Math.Max(1e-9, Seconds):F1} texts/s)");
        for (int level = 0; level < m.PerLevel.Count; level++)
            w.WriteLine($"  level {level + 1} ({m.PerLevel[level].PerLabel.Count} labels): micro-F1 {m.PerLevel[level].MicroF1:P2}, macro-F1 {m.PerLevel[level].MacroF1:P2}");
        var table = new TextTable("label", "precision", "recall", "f1", "support");
        foreach (var s in m.PerLabel) table.AddRow(s.Label, s.Precision.ToString("F3"), s.Recall.ToString("F3"), s.F1.ToString("F3"), s.Support.ToString());
        for (int i = 1; i < 5; i++) table.RightAligned.Add(i);
        table.Write(w);
    }

    /// <summary><c>text\tlabel1,label2</c> lines (an empty field when no label is predicted), one per text in input order.</summary>
    public static IEnumerable<string> PredictionLines(IReadOnlyList<string> texts, int[][] predicted, IReadOnlyList<string> labels) =>
        texts.Select((t, i) => $"{t}\t{string.Join(",", predicted[i].Select(c => labels[c]))}");
}
