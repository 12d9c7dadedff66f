using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.MLNet;

/// <summary>Chooses the TorchSharp device the way ML.NET does: <c>MLContext.GpuDeviceId</c> set → that CUDA device, else the CPU.</summary>
internal static class HostDevice
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
        return TorchDevice.Pick(gpu, fallback);
    }
}
