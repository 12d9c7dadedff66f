using Microsoft.ML.PromptLearning.Ernie;

namespace Microsoft.ML.PromptLearning.Benchmarks.ModelSpeed;

/// <summary>
/// Analytic floating-point operation counts of the ERNIE masked LM (a multiply-add = 2 FLOPs). Only matrix products count:
/// embeddings, LayerNorm, softmax and GELU are a few percent at base size. Backward ≈ 2 × forward (gradients for inputs and weights).
/// </summary>
internal static class FlopCount
{
    /// <summary>Weights of the matrix products every token goes through: Q, K, V, output and the two FFN matrices of each layer.</summary>
    public static long EncoderMatmulParameters(ErnieConfig c) =>
        c.NumHiddenLayers * (4L * c.HiddenSize * c.HiddenSize + 2L * c.HiddenSize * c.IntermediateSize);

    /// <summary>Forward FLOPs: 2·params·tokens for the encoder linears + 4·B·T²·H per layer for QKᵀ and attention·V + pooler + the MLM head at <paramref name="predicted"/> positions.</summary>
    public static double Forward(ErnieConfig c, int batch, int length, int predicted)
    {
        double tokens = (double)batch * length;
        double encoder = 2.0 * EncoderMatmulParameters(c) * tokens;
        double attention = c.NumHiddenLayers * 4.0 * batch * (double)length * length * c.HiddenSize;
        double pooler = 2.0 * batch * c.HiddenSize * c.HiddenSize;
        double head = 2.0 * predicted * ((double)c.HiddenSize * c.HiddenSize + (double)c.HiddenSize * c.VocabSize);
        return encoder + attention + pooler + head;
    }

    /// <summary>Forward plus backward: 3 × forward.</summary>
    public static double ForwardBackward(ErnieConfig c, int batch, int length, int predicted) => 3 * Forward(c, batch, length, predicted);
}
