namespace Microsoft.ML.PromptLearning.Tests;

/// <summary>A fact that needs directory permissions to be enforced: skipped on Windows and for root, who ignores them.</summary>
public sealed class EnforcedPermissionsFactAttribute : FactAttribute
{
    public EnforcedPermissionsFactAttribute()
    {
        if (OperatingSystem.IsWindows()) Skip = "Unix directory permissions do not apply on Windows";
        else if (Environment.UserName == "root") Skip = "root ignores directory permissions";
    }
}

/// <summary>A fact that runs only on Linux (signals, /proc), skipped elsewhere with the reason.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "needs Linux";
    }
}

/// <summary>A fact about running without a GPU: skipped when a CUDA device is present.</summary>
public sealed class WithoutCudaFactAttribute : FactAttribute
{
    public WithoutCudaFactAttribute()
    {
        if (TorchSharp.torch.cuda.is_available()) Skip = "a CUDA device is present (the CUDA path itself is covered by the GPU tests)";
    }
}
