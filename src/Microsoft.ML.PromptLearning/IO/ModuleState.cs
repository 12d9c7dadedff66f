using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning;

/// <summary>Writes and reads a module's named parameters as safetensors (float32, CPU), checking names and shapes on load.</summary>
internal static class ModuleState
{
    public static void Save(nn.Module module, Stream stream)
    {
        using var scope = NewDisposeScope();
        var tensors = module.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().cpu());
        SafeTensors.Save(stream, tensors);
    }

    public static void Load(nn.Module module, Stream stream, string name)
    {
        var state = SafeTensors.Load(stream, name);
        try
        {
            using var _ = no_grad();
            foreach (var (key, p) in module.named_parameters())
            {
                if (!state.TryGetValue(key, out var source))
                    throw new InvalidDataException($"{name} has no '{key}'; it was saved from a different template or verbalizer.");
                if (!source.shape.SequenceEqual(p.shape))
                    throw new InvalidDataException($"{name}: '{key}' has shape [{string.Join(", ", source.shape)}] but [{string.Join(", ", p.shape)}] is expected (different template, labels or model?).");
                p.copy_(source);
            }
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }
}
