namespace Microsoft.ML.PromptLearning.Tests;

/// <summary>Locations of the repository's fixtures and of the shared data next to the repository.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Fixtures => Path.Combine(RepoRoot, "tests", "fixtures");
    public static string Fixture(string name) => Path.Combine(Fixtures, name);

    /// <summary>../shared/data (present on developer machines and CI, not in the repository).</summary>
    public static string SharedData => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data"));
    public static string ErnieVocab => Path.Combine(SharedData, "vocab", "ernie-3.0-base-zh", "vocab.txt");
    public static string BertVocab => Path.Combine(SharedData, "vocab", "bert-base-chinese", "vocab.txt");

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Microsoft.ML.PromptLearning.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (Microsoft.ML.PromptLearning.sln).");
    }

    public static string NewTempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "pl-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(d);
        return d;
    }
}
