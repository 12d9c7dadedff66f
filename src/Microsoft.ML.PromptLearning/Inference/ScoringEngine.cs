namespace Microsoft.ML.PromptLearning;

/// <summary>What computes a fitted classifier's probabilities in <c>Transform</c> and <c>PredictionEngine</c>.</summary>
public enum ScoringEngine
{
    /// <summary>The trained TorchSharp network itself (CPU or the CUDA device of <c>MLContext.GpuDeviceId</c>).</summary>
    TorchSharp,
    /// <summary>
    /// An ONNX Runtime session built in memory from the trained weights on first use (no file is written): the same
    /// predictions as TorchSharp in <see cref="ScoringPrecision.Float32"/> (probabilities within about 1e-6), faster on CPUs;
    /// with <see cref="ScoringPrecision.Int8"/> smaller and faster still, at the cost of a few changed predictions. Uses
    /// ONNX Runtime's CUDA execution provider when <c>MLContext.GpuDeviceId</c> is set and the GPU package is referenced.
    /// </summary>
    OnnxRuntime,
}

/// <summary>Numeric precision of scoring. Reduced precisions are opt-in: a trainer with a validation set reports the share of validation predictions they keep.</summary>
public enum ScoringPrecision
{
    /// <summary>float32: the trained model's predictions (both engines).</summary>
    Float32,
    /// <summary>
    /// <see cref="ScoringEngine.OnnxRuntime"/> only: int8 weights for the encoder's matrix products, activations quantized on
    /// the fly; 1.5–4× faster than float32 on CPUs, probabilities move by up to about 1e-2 and a few percent of predictions
    /// can change.
    /// </summary>
    Int8,
    /// <summary>
    /// <see cref="ScoringEngine.TorchSharp"/> only: a bfloat16 copy of the network, made on first use. Worth it on CPUs
    /// with AVX-512 BF16 or AMX (1.9–2.6× float32 there) and on GPUs; slower on CPUs without native bfloat16 products.
    /// Probabilities move by up to a few 1e-2 and about 1% of predictions can change.
    /// </summary>
    BFloat16,
}
