namespace Microsoft.ML.PromptLearning.SelfTraining;

/// <summary>Teacher distributions as distillation targets.</summary>
internal static class SoftLabels
{
    /// <summary>
    /// The temperature-scaled distribution <c>q_k ∝ p_k^(1/T)</c>, i.e. <c>softmax(log p / T)</c>: the teacher's side of PET's
    /// <c>softmax(logits / T)</c> when only probabilities are at hand. T &gt; 1 flattens, T &lt; 1 sharpens, T = 1 keeps p.
    /// </summary>
    public static float[] Scale(IReadOnlyList<float> probabilities, double temperature)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be positive.");
        var logs = probabilities.Select(p => Math.Log(Math.Max(p, 1e-30)) / temperature).ToArray();
        double max = logs.Max();
        var exp = logs.Select(l => Math.Exp(l - max)).ToArray();
        double sum = exp.Sum();
        return exp.Select(e => (float)(e / sum)).ToArray();
    }
}
