using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.MLNet;

/// <summary>
/// The ONNX Runtime session of a fitted classifier at one precision, exported in memory from the network's weights the first
/// time it scores (no file step; built once even when several threads score at the same time).
/// </summary>
internal sealed class OnnxRuntimeSession : IDisposable
{
    private readonly Lazy<OnnxPredictor> predictor;

    /// <param name="export">Builds the ONNX model's bytes for the given export options.</param>
    /// <param name="precision">float32 or int8.</param>
    /// <param name="batchSize">Texts per ONNX Runtime call.</param>
    /// <param name="device">The TorchSharp device of the model: a CUDA device asks for ONNX Runtime's CUDA provider (the CPU when it is missing).</param>
    public OnnxRuntimeSession(Func<OnnxExportOptions, byte[]> export, ScoringPrecision precision, int batchSize, Device device)
    {
        Precision = precision;
        predictor = new Lazy<OnnxPredictor>(() => new OnnxPredictor(
            export(new OnnxExportOptions { Precision = precision == ScoringPrecision.Int8 ? OnnxPrecision.Int8 : OnnxPrecision.Float32 }),
            new OnnxPredictorOptions
            {
                BatchSize = batchSize, IntraOpNumThreads = get_num_threads(),
                UseCuda = device.type == TorchSharp.DeviceType.CUDA, GpuDeviceId = Math.Max(0, (int)device.index), FallbackToCpu = true,
            }), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public ScoringPrecision Precision { get; }

    /// <summary>Class probabilities of encoded rows, in input order.</summary>
    public float[][] Run(IReadOnlyList<EncodedExample> examples) => predictor.Value.Run(examples);

    public void Dispose()
    {
        if (predictor.IsValueCreated) predictor.Value.Dispose();
    }
}
