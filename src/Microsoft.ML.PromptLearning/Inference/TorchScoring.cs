using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Inference;

/// <summary>Class probabilities from a TorchSharp <see cref="ClassifierNet"/>: the scoring path of the fitted transformers and of validation during training.</summary>
internal static class TorchScoring
{
    /// <summary>Class probabilities for every example, in input order (batched by length, eval mode, no gradients): softmax, or one sigmoid per label for multi-label models.</summary>
    public static float[][] PredictProbabilities(ClassifierNet net, IReadOnlyList<EncodedExample> examples, int batchSize, Device device, int padId,
        LabelActivation activation = LabelActivation.Softmax)
    {
        net.eval();
        using var noGrad = no_grad();
        return LengthBuckets.ScoreInBatches(examples, batchSize, batch =>
        {
            using var scope = NewDisposeScope();
            var probs = activation.Apply(net.Forward(ClassifierBatch.Collate(batch, device, padId)).Logits.to(ScalarType.Float32)).cpu();   // a bfloat16 network too
            var flat = probs.data<float>().ToArray();
            int c = (int)probs.shape[1];
            return Enumerable.Range(0, batch.Count).Select(r => flat.AsSpan(r * c, c).ToArray()).ToArray();
        });
    }
}
