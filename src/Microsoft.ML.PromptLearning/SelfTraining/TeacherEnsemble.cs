namespace Microsoft.ML.PromptLearning.SelfTraining;

/// <summary>Choosing, weighting and averaging the members of a teacher ensemble.</summary>
internal static class TeacherEnsemble
{
    /// <summary>
    /// Which members to keep: those whose validation accuracy is within <paramref name="margin"/> of the best one (a weak
    /// teacher would teach its mistakes). Without validation accuracies (NaN) every member is kept.
    /// </summary>
    public static bool[] Select(IReadOnlyList<double> validationAccuracies, double margin)
    {
        if (validationAccuracies.Count == 0) throw new ArgumentException("An ensemble needs at least one member.", nameof(validationAccuracies));
        if (validationAccuracies.Any(double.IsNaN) || double.IsPositiveInfinity(margin)) return validationAccuracies.Select(_ => true).ToArray();
        double best = validationAccuracies.Max();
        return validationAccuracies.Select(a => a >= best - margin - 1e-12).ToArray();
    }

    /// <summary>Normalised weights (summing to 1) of the selected members; unselected members get 0.</summary>
    public static double[] Weights(EnsembleWeighting weighting, IReadOnlyList<double> validationAccuracies, IReadOnlyList<bool> selected)
    {
        var raw = validationAccuracies.Select((a, i) => !selected[i] ? 0.0
            : weighting == EnsembleWeighting.ValidationAccuracy && !double.IsNaN(a) ? Math.Max(a, 1e-6) : 1.0).ToArray();
        double sum = raw.Sum();
        if (sum <= 0) throw new ArgumentException("No ensemble member is selected.", nameof(selected));
        return raw.Select(w => w / sum).ToArray();
    }

    /// <summary>The weighted mean of the members' class probabilities, row by row: <c>p[r] = Σ_m w_m · p_m[r]</c>.</summary>
    /// <param name="memberProbabilities">Per member, per row, the class probabilities.</param>
    /// <param name="weights">One weight per member (summing to 1).</param>
    public static float[][] Combine(IReadOnlyList<float[][]> memberProbabilities, IReadOnlyList<double> weights)
    {
        if (memberProbabilities.Count == 0 || memberProbabilities.Count != weights.Count)
            throw new ArgumentException($"{memberProbabilities.Count} members but {weights.Count} weights.", nameof(weights));
        int rows = memberProbabilities[0].Length;
        var result = new float[rows][];
        for (int r = 0; r < rows; r++)
        {
            int c = memberProbabilities[0][r].Length;
            var mean = new double[c];
            for (int m = 0; m < memberProbabilities.Count; m++)
            {
                var p = memberProbabilities[m][r];
                if (p.Length != c) throw new ArgumentException($"Member {m} gives {p.Length} classes for row {r}, member 0 gives {c}.");
                if (weights[m] == 0) continue;
                for (int k = 0; k < c; k++) mean[k] += weights[m] * p[k];
            }
            result[r] = mean.Select(v => (float)v).ToArray();
        }
        return result;
    }
}
