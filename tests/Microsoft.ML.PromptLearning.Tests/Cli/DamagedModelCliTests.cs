using static Microsoft.ML.PromptLearning.Tests.Cli.CliRun;

namespace Microsoft.ML.PromptLearning.Tests.Cli;

/// <summary>The commands that open a model zip check it first: a damaged one is a one-line error naming the file.</summary>
public class DamagedModelCliTests
{
    [Fact]
    public void ExportOfADamagedZipNamesTheFileAndTheEntry()
    {
        var bytes = File.ReadAllBytes(Path.Combine(TestPaths.Fixtures, "model-zips-1.1", "prompt.zip"));
        bytes[bytes.Length / 2] ^= 0x10;   // inside the weights
        var dir = TestPaths.NewTempDir();
        var zip = Path.Combine(dir, "model.zip");
        File.WriteAllBytes(zip, bytes);
        var (code, stdout, stderr) = Run("export", "--model", zip, "--output-dir", Path.Combine(dir, "export"));
        AssertOneLineError(1, code, stdout, stderr, $"Model zip '{zip}' cannot be loaded", "Weights.safetensors", "fails its checksum", "Copy or save the model again");
        Assert.False(Directory.Exists(Path.Combine(dir, "export")));
    }
}
