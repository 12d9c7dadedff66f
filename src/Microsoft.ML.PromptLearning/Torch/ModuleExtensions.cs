using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning;

internal static class ModuleExtensions
{
    /// <summary>
    /// Takes a module's parameters and buffers out of any enclosing <c>torch.NewDisposeScope()</c>, so that a model built or
    /// loaded inside a scope outlives it (otherwise the scope disposes its weights when it ends).
    /// </summary>
    public static T KeepOutOfDisposeScopes<T>(this T module) where T : nn.Module
    {
        foreach (var p in module.parameters()) p.DetachFromDisposeScope();
        foreach (var b in module.buffers()) b.DetachFromDisposeScope();
        return module;
    }
}
