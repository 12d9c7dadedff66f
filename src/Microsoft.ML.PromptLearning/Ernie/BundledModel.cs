namespace Microsoft.ML.PromptLearning;

/// <summary>Finds the small pretrained Chinese model shipped by the <c>Microsoft.ML.PromptLearning.Models.ChineseMini</c> package.</summary>
internal static class BundledModel
{
    /// <summary>Folder name under the application's output directory where the models package places its files.</summary>
    public const string RelativeFolder = "PromptLearningModels/ChineseMini";

    /// <summary>The bundled model's folder, or null when the models package is not referenced.</summary>
    public static string TryLocate()
    {
        foreach (var root in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            var dir = Path.Combine(root, RelativeFolder);
            if (File.Exists(Path.Combine(dir, "config.json"))) return dir;
        }
        return null;
    }

    /// <summary>Resolves a user-given model path, falling back to the bundled model.</summary>
    /// <exception cref="InvalidOperationException">No path was given and the bundled model is not present.</exception>
    public static string Resolve(string modelPath)
    {
        if (!string.IsNullOrEmpty(modelPath)) return modelPath;
        return TryLocate() ?? throw new InvalidOperationException(
            "No ModelPath was given and the bundled model is not available. Either set ModelPath to a pretrained ERNIE/BERT folder " +
            "(config.json, vocab.txt, model.safetensors or pytorch_model.bin), or reference the Microsoft.ML.PromptLearning.Models.ChineseMini package.");
    }
}
