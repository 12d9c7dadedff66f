namespace Microsoft.ML.PromptLearning.SelfTraining;

/// <summary>
/// iPET's choice of pseudo-labelled examples for the next generation: each unlabeled text is given the ensemble's most
/// probable class, and per class the most confident texts are kept, as many as that class's share of the labelled training
/// set asks for (so the pseudo-labelled set keeps the training set's label distribution).
/// </summary>
internal static class PseudoLabelSelection
{
    /// <summary>How many texts each class gets out of <paramref name="total"/>, proportional to <paramref name="trainingCounts"/> (largest remainders).</summary>
    public static int[] Quotas(IReadOnlyList<int> trainingCounts, int total)
    {
        long sum = trainingCounts.Sum(c => (long)c);
        if (sum == 0) throw new ArgumentException("The training set has no labelled rows.", nameof(trainingCounts));
        var exact = trainingCounts.Select(c => (double)total * c / sum).ToArray();
        var quotas = exact.Select(e => (int)Math.Floor(e)).ToArray();
        int left = total - quotas.Sum();
        foreach (int k in Enumerable.Range(0, quotas.Length).OrderByDescending(k => exact[k] - quotas[k]).ThenBy(k => k).Take(left)) quotas[k]++;
        return quotas;
    }

    /// <summary>
    /// The selected rows as (index into <paramref name="probabilities"/>, class), ordered by class then by falling confidence.
    /// A class with fewer confident texts than its quota gets what there is.
    /// </summary>
    public static List<(int Index, int Label)> Select(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> quotas)
    {
        var byClass = Enumerable.Range(0, quotas.Count).Select(_ => new List<(int Index, float Confidence)>()).ToArray();
        for (int i = 0; i < probabilities.Count; i++)
        {
            int label = Inference.Probabilities.ArgMax(probabilities[i]);
            byClass[label].Add((i, probabilities[i][label]));
        }
        var result = new List<(int, int)>();
        for (int c = 0; c < quotas.Count; c++)
            result.AddRange(byClass[c].OrderByDescending(x => x.Confidence).ThenBy(x => x.Index).Take(quotas[c]).Select(x => (x.Index, c)));
        return result;
    }
}
