using Microsoft.ML.PromptLearning.Cli;
using static Microsoft.ML.PromptLearning.Tests.Cli.CliRun;

namespace Microsoft.ML.PromptLearning.Tests.Cli;

/// <summary>Path options say which of three things is wrong: missing, a folder where a file is expected, or the reverse.</summary>
public class CliPathsTests
{
    [Fact]
    public void AnOnnxFolderGivesItsModelOnnxOrItsOnlyOnnxFile()
    {
        using var temp = new TempDirectory();
        var export = Directory.CreateDirectory(Path.Combine(temp.Path, "export")).FullName;
        File.WriteAllText(Path.Combine(export, "model.int8.onnx"), "x");
        Assert.Equal(Path.Combine(export, "model.int8.onnx"), CliPaths.OnnxModel("--model-path", export));
        File.WriteAllText(Path.Combine(export, "model.onnx"), "x");
        Assert.Equal(Path.Combine(export, "model.onnx"), CliPaths.OnnxModel("--model-path", export));
        Assert.Equal(Path.Combine(export, "model.int8.onnx"), CliPaths.OnnxModel("--model-path", Path.Combine(export, "model.int8.onnx")));
    }

    [Fact]
    public void AnOnnxFolderWithSeveralModelsAndNoModelOnnxNamesThem()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(Path.Combine(temp.Path, "model.int8.onnx"), "x");
        File.WriteAllText(Path.Combine(temp.Path, "model.fp16.onnx"), "x");
        var e = Assert.Throws<UsageException>(() => CliPaths.OnnxModel("--model-path", temp.Path));
        Assert.Contains("several ONNX models (model.fp16.onnx, model.int8.onnx)", e.Message);
        Assert.Contains("give one of them", e.Message);
        Directory.CreateDirectory(Path.Combine(temp.Path, "empty"));
        Assert.Contains("holds no .onnx file", Assert.Throws<UsageException>(() => CliPaths.OnnxModel("--model-path", Path.Combine(temp.Path, "empty"))).Message);
    }

    [Fact]
    public void EachPathErrorSaysWhatIsWrong()
    {
        using var temp = new TempDirectory();
        var file = Path.Combine(temp.Path, "file.txt");
        File.WriteAllText(file, "x");
        var missing = Path.Combine(temp.Path, "missing");
        Assert.Contains("does not exist", Assert.Throws<UsageException>(() => CliPaths.File("--x", missing)).Message);
        Assert.Contains("is a folder", Assert.Throws<UsageException>(() => CliPaths.File("--x", temp.Path)).Message);
        Assert.Contains("does not exist", Assert.Throws<UsageException>(() => CliPaths.Folder("--x", missing)).Message);
        Assert.Contains("is a file", Assert.Throws<UsageException>(() => CliPaths.Folder("--x", file)).Message);
        Assert.Contains("is a file", Assert.Throws<UsageException>(() => CliPaths.OutputFolder("--x", file)).Message);
        Assert.Contains("is a folder", Assert.Throws<UsageException>(() => CliPaths.OutputFile("--x", temp.Path)).Message);
        Assert.Contains("does not exist", Assert.Throws<UsageException>(() => CliPaths.OnnxModel("--model-path", missing)).Message);
        Assert.Contains("is a file, not a folder", Assert.Throws<UsageException>(() => CliPaths.OnnxModel("--model-path", Path.Combine(file, "model.onnx"))).Message);
    }

    [Fact]
    public void InferReportsPathProblemsAsUsageErrors()
    {
        using var temp = new TempDirectory();
        var file = Path.Combine(temp.Path, "file.txt");
        File.WriteAllText(file, "x");
        var (code, stdout, stderr) = Run("infer", "--model-path", Path.Combine(temp.Path, "export"), "--data-dir", temp.Path);
        AssertOneLineError(CliApp.UsageError, code, stdout, stderr, "--model-path", "does not exist");
        (code, stdout, stderr) = Run("infer", "--model-path", temp.Path, "--data-dir", temp.Path);
        AssertOneLineError(CliApp.UsageError, code, stdout, stderr, "holds no .onnx file");
        File.WriteAllText(Path.Combine(temp.Path, "model.onnx"), "x");
        (code, stdout, stderr) = Run("infer", "--model-path", temp.Path, "--data-dir", file);
        AssertOneLineError(CliApp.UsageError, code, stdout, stderr, "--data-dir", "is a file");
        (code, stdout, stderr) = Run("infer", "--model-path-prefix", temp.Path, "--data-dir", temp.Path);
        AssertOneLineError(CliApp.UsageError, code, stdout, stderr, "--model-path-prefix", "does not exist");
    }
}
