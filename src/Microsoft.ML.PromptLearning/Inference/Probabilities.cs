namespace Microsoft.ML.PromptLearning.Inference;

/// <summary>Helpers over class-probability vectors.</summary>
internal static class Probabilities
{
    /// <summary>Index of the largest value (the first one on ties).</summary>
    public static int ArgMax(IReadOnlyList<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Count; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
