namespace Microsoft.ML.PromptLearning.Onnx;

/// <summary>Numeric precision of an exported ONNX model.</summary>
public enum OnnxPrecision
{
    /// <summary>float32 weights and arithmetic: the same numbers as the TorchSharp model (to about 1e-6).</summary>
    Float32,
    /// <summary>
    /// int8 weights for the encoder's large matrix products (symmetric, one scale per output channel) with activations
    /// quantized on the fly, and an int8 word-embedding table: about 4× smaller and 1.5–4× faster on CPUs; probabilities
    /// move by up to about 1e-2. Activations get one scale per tensor, so a text's probabilities also depend slightly
    /// (about 1e-3) on the texts it is batched with.
    /// </summary>
    Int8,
    /// <summary>float16 weights and arithmetic (inputs and the probabilities stay int64 / float32): for GPUs.</summary>
    Float16,
}

/// <summary>Options of <see cref="OnnxExport.ExportToOnnx(ErnieClassifierTransformerBase, System.IO.Stream, OnnxExportOptions)"/>.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>Numeric precision; default <see cref="OnnxPrecision.Float32"/>.</summary>
    public OnnxPrecision Precision { get; set; } = OnnxPrecision.Float32;

    /// <summary>
    /// Whether the vocabulary (vocab.txt) is stored in the model's metadata (default), so that an application needs only
    /// the .onnx file. Without it only its SHA-256 is stored and <see cref="OnnxPredictor"/> needs the vocab.txt beside it.
    /// </summary>
    public bool EmbedVocabulary { get; set; } = true;

    /// <summary>How int8 products are written (standard operators by default).</summary>
    internal OnnxInt8Kernel Int8Kernel { get; set; } = OnnxInt8Kernel.MatMulInteger;
}
