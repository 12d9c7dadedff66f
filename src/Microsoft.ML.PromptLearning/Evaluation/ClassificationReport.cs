using Microsoft.ML.Data;

namespace Microsoft.ML.PromptLearning.Evaluation;

/// <summary>Precision, recall and F1 of one class.</summary>
public sealed record ClassScores(string Label, double Precision, double Recall, double F1, int Support);

/// <summary>Accuracy, macro-F1 and per-class scores computed from ML.NET's multiclass confusion matrix.</summary>
public sealed class ClassificationReport
{
    private ClassificationReport(double accuracy, double macroF1, IReadOnlyList<ClassScores> classes)
    {
        Accuracy = accuracy;
        MacroF1 = macroF1;
        Classes = classes;
    }

    /// <summary>Fraction of rows predicted correctly (ML.NET's micro accuracy).</summary>
    public double Accuracy { get; }

    /// <summary>Unweighted mean of the per-class F1 scores.</summary>
    public double MacroF1 { get; }

    /// <summary>Per-class precision, recall, F1 and support, in class order.</summary>
    public IReadOnlyList<ClassScores> Classes { get; }

    /// <summary>Builds the report; <paramref name="labels"/> names the classes in key order.</summary>
    public static ClassificationReport From(MulticlassClassificationMetrics metrics, IReadOnlyList<string> labels)
    {
        var cm = metrics.ConfusionMatrix;
        int n = cm.NumberOfClasses;
        var classes = new List<ClassScores>(n);
        for (int c = 0; c < n; c++)
        {
            double tp = cm.Counts[c][c];
            double predicted = Enumerable.Range(0, n).Sum(r => cm.Counts[r][c]);
            double actual = cm.Counts[c].Sum();
            double precision = predicted == 0 ? 0 : tp / predicted;
            double recall = actual == 0 ? 0 : tp / actual;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            classes.Add(new ClassScores(c < labels.Count ? labels[c] : c.ToString(), precision, recall, f1, (int)actual));
        }
        return new ClassificationReport(metrics.MicroAccuracy, classes.Count == 0 ? 0 : classes.Average(c => c.F1), classes);
    }
}
