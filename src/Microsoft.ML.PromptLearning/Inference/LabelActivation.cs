using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Inference;

/// <summary>How a classifier's logits become probabilities.</summary>
internal enum LabelActivation
{
    /// <summary>One class per row: softmax over the labels (probabilities sum to 1).</summary>
    Softmax,
    /// <summary>Any set of labels per row: an independent sigmoid per label.</summary>
    Sigmoid,
}

/// <summary>Applies a <see cref="LabelActivation"/>.</summary>
internal static class LabelActivations
{
    /// <summary>Probabilities <c>[B, C]</c> from logits <c>[B, C]</c>.</summary>
    public static Tensor Apply(this LabelActivation activation, Tensor logits) => activation switch
    {
        LabelActivation.Softmax => nn.functional.softmax(logits, -1),
        LabelActivation.Sigmoid => sigmoid(logits),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };
}
