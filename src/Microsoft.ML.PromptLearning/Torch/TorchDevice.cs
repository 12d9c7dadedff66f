using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning;

/// <summary>Chooses the TorchSharp device: a CUDA device when one is asked for and usable, else the CPU.</summary>
internal static class TorchDevice
{
    /// <summary>Whether CUDA device <paramref name="id"/> exists and libtorch can use it (false when the CPU build of libtorch is loaded).</summary>
    public static bool CudaAvailable(int id)
    {
        try { return cuda.is_available() && id < cuda.device_count(); }
        catch (Exception) { return false; }
    }

    /// <summary>The device for an explicit GPU id (null = CPU) and fallback policy.</summary>
    public static Device Pick(int? gpuDeviceId, bool fallbackToCpu)
    {
        if (gpuDeviceId is null) return CPU;
        if (CudaAvailable(gpuDeviceId.Value)) return new Device(DeviceType.CUDA, gpuDeviceId.Value);
        if (fallbackToCpu) return CPU;
        throw new InvalidOperationException(
            $"MLContext.GpuDeviceId is {gpuDeviceId} but no usable CUDA device was found. Reference the TorchSharp-cuda-linux (or -windows) " +
            "package instead of libtorch-cpu-linux-x64 on a machine with an NVIDIA GPU and driver, or set MLContext.FallbackToCpu = true to train on the CPU.");
    }
}
