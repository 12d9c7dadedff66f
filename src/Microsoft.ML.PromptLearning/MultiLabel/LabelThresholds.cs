namespace Microsoft.ML.PromptLearning.MultiLabel;

/// <summary>
/// Turning per-label probabilities into label sets: a label is predicted when its probability is above its threshold
/// (PaddleNLP: <c>probs &gt; 0.5</c> for every label), and thresholds can be tuned per label on validation data.
/// </summary>
public static class LabelThresholds
{
    /// <summary>The threshold of every label unless tuned (PaddleNLP's).</summary>
    public const float Default = 0.5f;

    /// <summary>The thresholds <see cref="Tune"/> tries: 0.05, 0.10, …, 0.95.</summary>
    public static IReadOnlyList<float> Candidates { get; } = Enumerable.Range(1, 19).Select(i => i / 20f).ToArray();

    /// <summary>The labels whose probability is above their threshold, in class order.</summary>
    /// <param name="probabilities">One probability per label.</param>
    /// <param name="thresholds">One threshold per label; null = <see cref="Default"/> for all.</param>
    public static int[] Apply(IReadOnlyList<float> probabilities, IReadOnlyList<float> thresholds = null)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        if (thresholds is not null && thresholds.Count != probabilities.Count)
            throw new ArgumentException($"{thresholds.Count} thresholds for {probabilities.Count} labels.", nameof(thresholds));
        var result = new List<int>();
        for (int c = 0; c < probabilities.Count; c++)
            if (probabilities[c] > (thresholds?[c] ?? Default)) result.Add(c);
        return result.ToArray();
    }

    /// <summary>
    /// One threshold per label that maximises the label's F1 on validation data, chosen among <see cref="Candidates"/>.
    /// A threshold moves away from <see cref="Default"/> only when it raises the label's F1 (ties go to the candidate nearest
    /// the default); a label without positive rows in the data keeps the default, since its F1 cannot rise above 0.
    /// </summary>
    /// <param name="probabilities">Per row, one probability per label.</param>
    /// <param name="gold">Per row, the true label indices.</param>
    /// <param name="labelCount">Number of labels.</param>
    public static float[] Tune(IReadOnlyList<IReadOnlyList<float>> probabilities, IReadOnlyList<IReadOnlyCollection<int>> gold, int labelCount)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(gold);
        if (probabilities.Count != gold.Count) throw new ArgumentException($"{probabilities.Count} probability rows but {gold.Count} label rows.", nameof(gold));
        var goldSets = gold.Select(g => new HashSet<int>(g)).ToArray();
        var thresholds = new float[labelCount];
        for (int c = 0; c < labelCount; c++)
        {
            thresholds[c] = Default;
            if (!goldSets.Any(g => g.Contains(c))) continue;
            double best = F1(probabilities, goldSets, c, Default);
            foreach (var t in Candidates.OrderBy(t => Math.Abs(t - Default)))
            {
                double f1 = F1(probabilities, goldSets, c, t);
                if (f1 > best + 1e-12) { best = f1; thresholds[c] = t; }
            }
        }
        return thresholds;
    }

    private static double F1(IReadOnlyList<IReadOnlyList<float>> probabilities, HashSet<int>[] gold, int label, float threshold)
    {
        int tp = 0, fp = 0, fn = 0;
        for (int r = 0; r < gold.Length; r++)
        {
            if (probabilities[r].Count <= label) throw new ArgumentException($"Row {r} has {probabilities[r].Count} probabilities; expected one per label.", nameof(probabilities));
            bool p = probabilities[r][label] > threshold, g = gold[r].Contains(label);
            if (p && g) tp++;
            else if (p) fp++;
            else if (g) fn++;
        }
        return tp == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn);
    }
}
