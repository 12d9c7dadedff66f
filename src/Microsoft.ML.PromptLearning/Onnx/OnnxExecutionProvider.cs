namespace Microsoft.ML.PromptLearning.Onnx;

/// <summary>Where an <see cref="OnnxPredictor"/> runs its model (ONNX Runtime's execution provider).</summary>
public enum OnnxExecutionProvider
{
    /// <summary>ONNX Runtime's CPU provider.</summary>
    Cpu,
    /// <summary>ONNX Runtime's CUDA provider on an NVIDIA GPU (<see cref="OnnxPredictorOptions.UseCuda"/>).</summary>
    Cuda,
}
