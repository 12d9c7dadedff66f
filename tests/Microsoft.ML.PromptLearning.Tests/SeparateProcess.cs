using System.Diagnostics;
using System.Text.Json;

namespace Microsoft.ML.PromptLearning.Tests;

/// <summary>Scores texts with a saved model zip in a fresh process that only references the package (tests/ModelZipScorer).</summary>
internal static class SeparateProcess
{
    public static float[][] Score(string zipPath, IEnumerable<string> texts)
    {
        var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir, "texts.txt");
        var output = Path.Combine(dir, "scores.json");
        File.WriteAllLines(input, texts);
        var config = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)));   // bin/<Configuration>/net10.0
        var scorer = Path.Combine(TestPaths.RepoRoot, "tests", "ModelZipScorer", "bin", config, "net10.0", "ModelZipScorer.dll");
        Assert.True(File.Exists(scorer), $"{scorer} was not built");
        using var process = Process.Start(new ProcessStartInfo("dotnet", new[] { scorer, zipPath, input, output })
            { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"the scorer process failed: {stderr}");
        return JsonSerializer.Deserialize<float[][]>(File.ReadAllText(output))!;
    }
}
