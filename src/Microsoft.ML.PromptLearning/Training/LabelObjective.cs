using Microsoft.ML.PromptLearning.Inference;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Training;

/// <summary>
/// What the training loop optimises and how it reads a classifier's logits: the loss of a batch, the probabilities of a
/// row and the validation score that picks the best step. <see cref="SingleLabel"/> is multi-class classification (softmax,
/// cross-entropy, accuracy); <see cref="MultiLabel"/> treats every label as its own yes/no decision (sigmoid, binary
/// cross-entropy, macro-F1).
/// </summary>
internal abstract class LabelObjective
{
    /// <summary>One label per row.</summary>
    public static LabelObjective SingleLabel { get; } = new SingleLabelObjective();

    /// <summary>Any set of labels per row (multi-label and hierarchical classification).</summary>
    public static LabelObjective MultiLabel { get; } = new MultiLabelObjective();

    /// <summary>Name of <see cref="ValidationScore"/> in logs.</summary>
    public abstract string ScoreName { get; }

    /// <summary>Throws when the settings ask for something this objective cannot train with.</summary>
    public virtual void Check(TrainingSettings settings) { }

    /// <summary>The mean training loss of a batch.</summary>
    public abstract Tensor Loss(ClassifierNet net, ClassifierOutput output, ClassifierBatch batch, TrainingSettings settings);

    /// <summary>How logits become the probabilities that <see cref="ValidationScore"/> reads.</summary>
    public abstract LabelActivation Activation { get; }

    /// <summary>The validation score of <paramref name="probabilities"/> (one row per example); higher is better.</summary>
    public abstract double ValidationScore(float[][] probabilities, IReadOnlyList<EncodedExample> examples);

    private sealed class SingleLabelObjective : LabelObjective
    {
        public override string ScoreName => "accuracy";

        // Batches with teacher soft labels learn the teacher's distribution; labelled rows in them get plain cross-entropy.
        public override Tensor Loss(ClassifierNet net, ClassifierOutput output, ClassifierBatch batch, TrainingSettings s) =>
            batch.SoftTargets is null ? net.Loss(output, batch.Labels)
                : AuxiliaryLosses.Distillation(output.Logits, batch.SoftTargets, batch.SoftRows, s.DistillationTemperature);

        public override LabelActivation Activation => LabelActivation.Softmax;

        public override double ValidationScore(float[][] probabilities, IReadOnlyList<EncodedExample> examples)
        {
            int correct = 0;
            for (int i = 0; i < examples.Count; i++)
                if (Probabilities.ArgMax(probabilities[i]) == examples[i].Label) correct++;
            return (double)correct / examples.Count;
        }
    }
}
