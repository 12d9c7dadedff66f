using TorchSharp;
using TorchSharp.Modules;

namespace Microsoft.ML.PromptLearning.Training;

/// <summary>A named set of parameters trained at <see cref="LearningRate"/> (before scheduling).</summary>
/// <param name="Parameters">Parameter names and tensors.</param>
/// <param name="LearningRate">Peak learning rate of the group.</param>
/// <param name="WeightDecay">Decoupled weight decay; biases and LayerNorm weights never decay.</param>
internal sealed record ParameterSet(IReadOnlyList<(string Name, Parameter Parameter)> Parameters, double LearningRate, double WeightDecay);

/// <summary>Builds AdamW with one group per (set, decays?) pair, the usual BERT recipe: no decay on bias and LayerNorm.</summary>
internal static class OptimizerFactory
{
    public static bool Decays(string name) => !(name.EndsWith("bias", StringComparison.Ordinal) || name.Contains("LayerNorm", StringComparison.Ordinal) || name.Contains("layer_norm", StringComparison.Ordinal));

    /// <summary>Creates the optimizer; groups are ordered as given, decaying group first. Returns each group's peak learning rate in order.</summary>
    public static (AdamW Optimizer, double[] PeakLearningRates) AdamW(IEnumerable<ParameterSet> sets, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        var groups = new List<AdamW.ParamGroup>();
        var peaks = new List<double>();
        foreach (var set in sets)
        {
            var trainable = set.Parameters.Where(p => p.Parameter.requires_grad).ToList();
            var decay = trainable.Where(p => Decays(p.Name)).Select(p => p.Parameter).ToList();
            var noDecay = trainable.Where(p => !Decays(p.Name)).Select(p => p.Parameter).ToList();
            if (decay.Count > 0) { groups.Add(new AdamW.ParamGroup(decay, set.LearningRate, beta1, beta2, eps, set.WeightDecay, false, false)); peaks.Add(set.LearningRate); }
            if (noDecay.Count > 0) { groups.Add(new AdamW.ParamGroup(noDecay, set.LearningRate, beta1, beta2, eps, 0.0, false, false)); peaks.Add(set.LearningRate); }
        }
        if (groups.Count == 0) throw new InvalidOperationException("There is nothing to train: every parameter is frozen.");
        return (torch.optim.AdamW(groups, peaks[0], beta1, beta2, eps, 0.0, false, false), peaks.ToArray());
    }

    /// <summary>Sets every group's learning rate to its peak times <paramref name="factor"/>.</summary>
    public static void ApplySchedule(AdamW optimizer, double[] peaks, double factor)
    {
        int i = 0;
        foreach (var g in optimizer.ParamGroups) g.LearningRate = peaks[i++] * factor;
    }
}
