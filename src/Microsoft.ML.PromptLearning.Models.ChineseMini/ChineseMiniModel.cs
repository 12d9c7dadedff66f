namespace Microsoft.ML.PromptLearning.Models;

/// <summary>Where the bundled ChineseMini model lands in the application's output folder.</summary>
public static class ChineseMiniModel
{
    /// <summary>The model folder (config.json, vocab.txt, model.safetensors).</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "PromptLearningModels", "ChineseMini");
}
