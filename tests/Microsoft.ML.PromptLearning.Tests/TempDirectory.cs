namespace Microsoft.ML.PromptLearning.Tests;

/// <summary>A fresh directory under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Path = TestPaths.NewTempDir();

    public string Path { get; }

    /// <summary>A temp directory holding a copy of the files of a fixture folder (tests/fixtures/NAME).</summary>
    public static TempDirectory CopyOf(string fixture)
    {
        var dir = new TempDirectory();
        foreach (var file in Directory.GetFiles(TestPaths.Fixture(fixture)))
            System.IO.File.Copy(file, System.IO.Path.Combine(dir.Path, System.IO.Path.GetFileName(file)));
        return dir;
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
