namespace Microsoft.ML.PromptLearning.Benchmarks;

internal static class RepoPaths
{
    /// <summary>The directory holding Microsoft.ML.PromptLearning.sln, found upwards from the executable.</summary>
    public static string Root { get; } = Find();

    /// <summary>The bundled ChineseMini model folder of the models project.</summary>
    public static string BundledModel => Path.Combine(Root, "src", "Microsoft.ML.PromptLearning.Models.ChineseMini", "model");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Microsoft.ML.PromptLearning.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find the repository root (Microsoft.ML.PromptLearning.sln).");
    }
}
