using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.MultiLabel;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Training;

/// <summary>
/// Multi-label training as in PaddleNLP's multi-label and hierarchical few-shot apps: each label's logit is an independent
/// yes/no score, the loss is <c>BCEWithLogits</c> against the row's multi-hot target (averaged over rows and labels), a
/// label's probability is the sigmoid of its logit, and the best step is the one with the highest macro-F1 at the default
/// threshold (PaddleNLP's <c>metric_for_best_model macro_f1_score</c>). A row with an empty label set is a valid example:
/// all its targets are 0.
/// </summary>
internal sealed class MultiLabelObjective : LabelObjective
{
    public override string ScoreName => "macro-F1";

    public override void Check(TrainingSettings s)
    {
        if (s.UseRDrop) throw new NotSupportedException("R-Drop compares two softmax distributions and is not defined for multi-label training; turn UseRDrop off.");
        if (s.UseRgl) throw new NotSupportedException("RGL pulls together rows with the same single label and is not defined for multi-label training; turn UseRgl off.");
    }

    public override Tensor Loss(ClassifierNet net, ClassifierOutput output, ClassifierBatch batch, TrainingSettings settings)
    {
        var targets = Targets(batch.LabelSets, net.ClassCount, output.Logits.device);
        return nn.functional.binary_cross_entropy_with_logits(output.Logits, targets.to(output.Logits.dtype));
    }

    public override LabelActivation Activation => LabelActivation.Sigmoid;

    public override double ValidationScore(float[][] probabilities, IReadOnlyList<EncodedExample> examples)
    {
        int labels = probabilities.Length == 0 ? 0 : probabilities[0].Length;
        var predicted = probabilities.Select(p => (IReadOnlyCollection<int>)LabelThresholds.Apply(p)).ToArray();
        var gold = examples.Select(e => (IReadOnlyCollection<int>)e.LabelSet).ToArray();
        return MultiLabelClassificationMetrics.Compute(gold, predicted, Enumerable.Range(0, labels).Select(i => i.ToString()).ToArray()).MacroF1;
    }

    /// <summary>The multi-hot targets <c>[B, C]</c> (float32) of label sets.</summary>
    /// <exception cref="InvalidOperationException">A row has no label set or a label outside 0..C-1.</exception>
    public static Tensor Targets(IReadOnlyList<int[]> labelSets, int classCount, Device device)
    {
        var flat = new float[labelSets.Count * classCount];
        for (int r = 0; r < labelSets.Count; r++)
        {
            var set = labelSets[r] ?? throw new InvalidOperationException($"Row {r} of a multi-label batch has no label set.");
            foreach (var c in set)
            {
                if (c < 0 || c >= classCount) throw new InvalidOperationException($"Row {r} has label {c}, outside 0..{classCount - 1}.");
                flat[r * classCount + c] = 1;
            }
        }
        return tensor(flat, new long[] { labelSets.Count, classCount }, device: device);
    }
}
