namespace Microsoft.ML.PromptLearning.MultiLabel;

/// <summary>Precision, recall and F1 of one label, and its support (rows of the split that carry it).</summary>
public sealed record LabelScores(string Label, double Precision, double Recall, double F1, int Support);

/// <summary>
/// Quality of multi-label predictions (the figures of PaddleNLP's multi-label <c>metric.py</c>, i.e. scikit-learn's
/// <c>f1_score</c> with <c>average="micro"</c> and <c>"macro"</c>, plus per-label scores, subset accuracy and Hamming loss).
/// </summary>
/// <remarks>
/// Every figure is computed over all labels, including labels that a split lacks. A division by zero counts as 0
/// (scikit-learn's <c>zero_division=0</c>): a label never predicted has precision 0, a label absent from the split has
/// recall 0, and a label that is absent and never predicted has F1 0, which lowers the macro averages of splits that lack
/// labels. Micro figures pool the true positives, false positives and false negatives of all labels.
/// </remarks>
public sealed class MultiLabelClassificationMetrics
{
    private MultiLabelClassificationMetrics() { }

    /// <summary>Number of rows evaluated.</summary>
    public int Rows { get; private init; }

    /// <summary>Pooled precision: Σ true positives / Σ predicted labels.</summary>
    public double MicroPrecision { get; private init; }

    /// <summary>Pooled recall: Σ true positives / Σ true labels.</summary>
    public double MicroRecall { get; private init; }

    /// <summary>Harmonic mean of <see cref="MicroPrecision"/> and <see cref="MicroRecall"/>.</summary>
    public double MicroF1 { get; private init; }

    /// <summary>Unweighted mean of the per-label precisions.</summary>
    public double MacroPrecision { get; private init; }

    /// <summary>Unweighted mean of the per-label recalls.</summary>
    public double MacroRecall { get; private init; }

    /// <summary>Unweighted mean of the per-label F1 scores.</summary>
    public double MacroF1 { get; private init; }

    /// <summary>Fraction of rows whose predicted label set equals the true set exactly.</summary>
    public double SubsetAccuracy { get; private init; }

    /// <summary>Fraction of (row, label) decisions that are wrong: (false positives + false negatives) / (rows × labels).</summary>
    public double HammingLoss { get; private init; }

    /// <summary>Precision, recall, F1 and support (rows that carry the label) per label, in class order.</summary>
    public IReadOnlyList<LabelScores> PerLabel { get; private init; }

    /// <summary>
    /// For a label tree of depth 2 or more: the same figures over the labels of each level (index 0 = level 1), with
    /// subset accuracy and Hamming loss restricted to that level's labels. Empty otherwise.
    /// </summary>
    public IReadOnlyList<MultiLabelClassificationMetrics> PerLevel { get; private init; } = [];

    /// <summary>Computes the metrics.</summary>
    /// <param name="gold">The true label indices of each row (a set; an empty set = none of the labels).</param>
    /// <param name="predicted">The predicted label indices of each row.</param>
    /// <param name="labels">The label names in class order (every label counts, present in the rows or not).</param>
    /// <param name="hierarchy">The label tree, for <see cref="PerLevel"/>; null = no per-level figures.</param>
    /// <exception cref="ArgumentException">The row counts differ, or an index is outside the labels.</exception>
    public static MultiLabelClassificationMetrics Compute(IReadOnlyList<IReadOnlyCollection<int>> gold, IReadOnlyList<IReadOnlyCollection<int>> predicted,
        IReadOnlyList<string> labels, LabelHierarchy hierarchy = null)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(labels);
        if (gold.Count != predicted.Count) throw new ArgumentException($"gold has {gold.Count} rows but predicted has {predicted.Count}.", nameof(predicted));
        if (hierarchy is not null && hierarchy.Labels.Count != labels.Count) throw new ArgumentException("The hierarchy has other labels than the metrics.", nameof(hierarchy));
        var goldSets = ToSets(gold, labels.Count, nameof(gold));
        var predictedSets = ToSets(predicted, labels.Count, nameof(predicted));
        var metrics = Over(goldSets, predictedSets, labels, Enumerable.Range(0, labels.Count).ToArray());
        if (hierarchy is null || hierarchy.Depth < 2) return metrics;
        var levels = Enumerable.Range(1, hierarchy.Depth).Select(level => Over(goldSets, predictedSets, labels, hierarchy.LabelsAtLevel(level).ToArray())).ToArray();
        return new MultiLabelClassificationMetrics
        {
            Rows = metrics.Rows, MicroPrecision = metrics.MicroPrecision, MicroRecall = metrics.MicroRecall, MicroF1 = metrics.MicroF1,
            MacroPrecision = metrics.MacroPrecision, MacroRecall = metrics.MacroRecall, MacroF1 = metrics.MacroF1,
            SubsetAccuracy = metrics.SubsetAccuracy, HammingLoss = metrics.HammingLoss, PerLabel = metrics.PerLabel, PerLevel = levels,
        };
    }

    private static HashSet<int>[] ToSets(IReadOnlyList<IReadOnlyCollection<int>> rows, int labelCount, string name)
    {
        var sets = new HashSet<int>[rows.Count];
        for (int r = 0; r < rows.Count; r++)
        {
            sets[r] = new HashSet<int>(rows[r] ?? throw new ArgumentException($"Row {r} is null.", name));
            foreach (var label in sets[r])
                if (label < 0 || label >= labelCount) throw new ArgumentException($"Row {r} has label index {label}, outside 0..{labelCount - 1}.", name);
        }
        return sets;
    }

    /// <summary>The metrics over the label columns <paramref name="columns"/> only.</summary>
    private static MultiLabelClassificationMetrics Over(HashSet<int>[] gold, HashSet<int>[] predicted, IReadOnlyList<string> labels, int[] columns)
    {
        var perLabel = new List<LabelScores>(columns.Length);
        long tpSum = 0, fpSum = 0, fnSum = 0;
        foreach (var c in columns)
        {
            int tp = 0, fp = 0, fn = 0;
            for (int r = 0; r < gold.Length; r++)
            {
                bool g = gold[r].Contains(c), p = predicted[r].Contains(c);
                if (g && p) tp++;
                else if (p) fp++;
                else if (g) fn++;
            }
            tpSum += tp; fpSum += fp; fnSum += fn;
            double precision = Ratio(tp, tp + fp), recall = Ratio(tp, tp + fn);
            perLabel.Add(new LabelScores(labels[c], precision, recall, F1(precision, recall), tp + fn));
        }
        int exact = 0;
        for (int r = 0; r < gold.Length; r++)
            if (columns.All(c => gold[r].Contains(c) == predicted[r].Contains(c))) exact++;
        double microP = Ratio(tpSum, tpSum + fpSum), microR = Ratio(tpSum, tpSum + fnSum);
        return new MultiLabelClassificationMetrics
        {
            Rows = gold.Length,
            MicroPrecision = microP, MicroRecall = microR, MicroF1 = F1(microP, microR),
            MacroPrecision = Mean(perLabel.Select(s => s.Precision)), MacroRecall = Mean(perLabel.Select(s => s.Recall)), MacroF1 = Mean(perLabel.Select(s => s.F1)),
            SubsetAccuracy = Ratio(exact, gold.Length),
            HammingLoss = Ratio(fpSum + fnSum, (long)gold.Length * columns.Length),
            PerLabel = perLabel,
        };
    }

    private static double Ratio(long numerator, long denominator) => denominator == 0 ? 0 : (double)numerator / denominator;

    private static double F1(double precision, double recall) => precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);

    private static double Mean(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? 0 : list.Average();
    }
}
