using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.MultiLabel;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.MLNet;

/// <summary>The multi-label steps of <see cref="TrainerCore.Fit"/>: the label tree check, the objective, the thresholds.</summary>
internal static class MultiLabelTraining
{
    /// <summary>Checks <see cref="MultiLabelOptions"/> against the labels; returns whether predictions follow a label tree.</summary>
    public static bool CheckHierarchy(IHost host, MultiLabelOptions o, string[] labelNames)
    {
        host.CheckUserArg(o.Threshold > 0 && o.Threshold < 1, nameof(o.Threshold), "must lie strictly between 0 and 1");
        bool hierarchical = o.Hierarchical ?? LabelHierarchy.IsHierarchical(labelNames);
        if (!hierarchical) return false;
        try { LabelHierarchy.Create(labelNames); }
        catch (InvalidDataException e) { throw host.Except(e, $"The label key's values are not a label tree: {e.Message}"); }
        return true;
    }

    /// <summary>
    /// The scoring settings of the trained model: <paramref name="s"/> with the multi-label output column, the tree flag and
    /// the thresholds (the default one, or per label tuned on <paramref name="validation"/>).
    /// </summary>
    public static ScoringSettings ScoringSettings(IHost host, ScoringSettings s, MultiLabelOptions o, bool hierarchical, ClassifierNet net,
        IReadOnlyList<EncodedExample> validation, Device device, int padId)
    {
        var thresholds = Enumerable.Repeat(o.Threshold, s.LabelNames.Length).ToArray();
        if (o.TuneThresholds)
        {
            if (validation is not { Count: > 0 })
                throw host.Except("TuneThresholds needs labelled validation data: set ValidationSet in the trainer options.");
            var probabilities = TorchScoring.PredictProbabilities(net, validation, s.EvalBatchSize, device, padId, LabelActivation.Sigmoid);
            thresholds = LabelThresholds.Tune(probabilities, validation.Select(e => (IReadOnlyCollection<int>)e.LabelSet).ToArray(), s.LabelNames.Length);
            using var ch = host.Start("Thresholds");
            ch.Info($"thresholds tuned on {validation.Count} validation rows: {thresholds.Count(t => t != LabelThresholds.Default)} of {thresholds.Length} labels moved from {LabelThresholds.Default}");
        }
        return s with { PredictedLabelColumn = o.PredictedLabelsColumnName, Thresholds = thresholds, Hierarchical = hierarchical };
    }
}
