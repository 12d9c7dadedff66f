using Microsoft.ML.Data;

namespace Microsoft.ML.PromptLearning.Evaluation;

/// <summary>Precision, recall and F1 of one class.</summary>
public sealed record ClassScores(string Label, double Precision, double Recall, double F1, int Support);

/// <summary>Accuracy, macro-F1 and per-class scores computed from ML.NET's multiclass confusion matrix.</summary>
public sealed class ClassificationReport
{
    private ClassificationReport(double accuracy, double macroF1, IReadOnlyList<ClassScores> classes, IReadOnlyList<IReadOnlyList<double>> counts)
    {
        Accuracy = accuracy;
        MacroF1 = macroF1;
        Classes = classes;
        ConfusionCounts = counts;
    }

    /// <summary>Confusion counts: row = true class, column = predicted class.</summary>
    public IReadOnlyList<IReadOnlyList<double>> ConfusionCounts { get; }

    /// <summary>Fraction of rows predicted correctly (ML.NET's micro accuracy).</summary>
    public double Accuracy { get; }

    /// <summary>Unweighted mean of the per-class F1 scores.</summary>
    public double MacroF1 { get; }

    /// <summary>Per-class precision, recall, F1 and support, in class order.</summary>
    public IReadOnlyList<ClassScores> Classes { get; }

    /// <summary>Builds the report; <paramref name="labels"/> names the classes in key order.</summary>
    public static ClassificationReport From(MulticlassClassificationMetrics metrics, IReadOnlyList<string> labels) =>
        From(metrics.ConfusionMatrix.Counts, metrics.MicroAccuracy, labels);

    /// <summary>Builds the report from true and predicted class indices (0-based, in the order of <paramref name="labels"/>).</summary>
    public static ClassificationReport From(IReadOnlyList<int> gold, IReadOnlyList<int> predicted, IReadOnlyList<string> labels)
    {
        if (gold.Count != predicted.Count) throw new ArgumentException("gold and predicted differ in length.", nameof(predicted));
        var counts = Enumerable.Range(0, labels.Count).Select(_ => new double[labels.Count]).ToArray();
        int correct = 0;
        for (int i = 0; i < gold.Count; i++)
        {
            counts[gold[i]][predicted[i]]++;
            if (gold[i] == predicted[i]) correct++;
        }
        return From(counts, gold.Count == 0 ? 0 : (double)correct / gold.Count, labels);
    }

    private static ClassificationReport From(IReadOnlyList<IReadOnlyList<double>> counts, double accuracy, IReadOnlyList<string> labels)
    {
        int n = counts.Count;
        var classes = new List<ClassScores>(n);
        for (int c = 0; c < n; c++)
        {
            double tp = counts[c][c];
            double predicted = Enumerable.Range(0, n).Sum(r => counts[r][c]);
            double actual = counts[c].Sum();
            double precision = predicted == 0 ? 0 : tp / predicted;
            double recall = actual == 0 ? 0 : tp / actual;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            classes.Add(new ClassScores(c < labels.Count ? labels[c] : c.ToString(), precision, recall, f1, (int)actual));
        }
        return new ClassificationReport(accuracy, classes.Count == 0 ? 0 : classes.Average(c => c.F1), classes, counts);
    }
}
