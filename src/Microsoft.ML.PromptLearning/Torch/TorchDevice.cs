using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning;

/// <summary>Chooses the TorchSharp device the way ML.NET does: <c>MLContext.GpuDeviceId</c> set → that CUDA device, else the CPU.</summary>
internal static class TorchDevice
{
    /// <summary>The device for this environment.</summary>
    /// <exception cref="InvalidOperationException">A GPU was asked for, none is usable, and <c>MLContext.FallbackToCpu</c> is false.</exception>
    public static Device Pick(IHostEnvironment env)
    {
        int? gpu = null;
        bool fallback = true;
        if (env is IHostEnvironmentInternal e)
        {
            gpu = e.GpuDeviceId;
            fallback = e.FallbackToCpu;
        }
        return Pick(gpu, fallback);
    }

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
