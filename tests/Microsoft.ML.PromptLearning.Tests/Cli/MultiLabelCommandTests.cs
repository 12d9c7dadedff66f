using System.Text.Json;

using static Microsoft.ML.PromptLearning.Tests.Cli.CliRun;

namespace Microsoft.ML.PromptLearning.Tests.Cli;

/// <summary><c>--task multi-label</c> and <c>--task hierarchical</c> through the command line on the tiny model.</summary>
public class MultiLabelCommandTests
{
    /// <summary>A multi-label folder of the tiny task (label words in label.txt, empty label fields included).</summary>
    private static string MultiLabelFolder(string root)
    {
        var dir = Path.Combine(root, "data");
        Directory.CreateDirectory(dir);
        File.WriteAllLines(Path.Combine(dir, "label.txt"), TinyMultiLabelTask.Words.Select(kv => $"{kv.Key}=={kv.Value[0]}"));
        void Write(string name, int count, int seed) =>
            File.WriteAllLines(Path.Combine(dir, name), TinyMultiLabelTask.Texts(count, seed).Select(r => $"{r.Text}\t{string.Join(",", r.Labels)}"));
        Write("train.txt", 16, 1);
        Write("dev.txt", 8, 2);
        Write("test.txt", 8, 3);
        return dir;
    }

    private static string[] TrainArgs(string data, string output, params string[] extra) =>
        Args("train", new()
        {
            ("--data-dir", data), ("--output-dir", output), ("--model-name-or-path", TestPaths.Fixture("tiny-ernie")), ("--task", "multi-label"),
            ("--prompt", "这是{'mask'}：{'text':'text_a'}"), ("--max-seq-length", "32"), ("--learning-rate", "1e-3"), ("--ppt-learning-rate", "3e-2"),
            ("--per-device-train-batch-size", "8"), ("--max-steps", "6"), ("--eval-steps", "3"), ("--save-steps", "3"), ("--logging-steps", "3"),
            ("--seed", "5"), ("--early-stopping-patience", "0"), ("--threads", "1"),
        }, extra);

    [Fact]
    public void TrainEvalPredictWriteMultiLabelResults()
    {
        using var temp = new TempDirectory();
        var data = MultiLabelFolder(temp.Path);
        var output = Path.Combine(temp.Path, "out");
        var (code, stdout, stderr) = Run(TrainArgs(data, output, "--do-train", "--do-eval", "--do-predict", "--do-export", "--tune-thresholds"));
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("eval step 3: dev macro-F1", stdout);

        using (var train = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "train_results.json"))))
        {
            Assert.Equal("multi-label", train.RootElement.GetProperty("task").GetString());
            Assert.Equal(3, train.RootElement.GetProperty("thresholds").EnumerateObject().Count());
        }
        double microF1;
        using (var eval = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "eval_results.json"))))
        {
            var root = eval.RootElement;
            microF1 = root.GetProperty("eval_micro_f1").GetDouble();
            Assert.InRange(microF1, 0.0, 1.0);
            Assert.InRange(root.GetProperty("eval_macro_f1").GetDouble(), 0.0, 1.0);
            Assert.Equal(8, root.GetProperty("eval_samples").GetInt32());
            var perLabel = root.GetProperty("eval_per_label");
            Assert.Equal(TinyMultiLabelTask.Labels, perLabel.EnumerateObject().Select(p => p.Name));
            Assert.Equal(0, perLabel.GetProperty("sport").GetProperty("support").GetInt32());   // absent from dev, still reported
        }
        var predictions = File.ReadAllLines(Path.Combine(output, "test_predictions.txt"));
        var testLines = File.ReadAllLines(Path.Combine(data, "test.txt"));
        Assert.Equal(testLines.Length, predictions.Length);
        Assert.All(predictions.Zip(testLines), p => Assert.Equal(p.Second.Split('\t')[0], p.First.Split('\t')[0]));
        Assert.All(predictions, p => Assert.All(p.Split('\t')[1].Split(',', StringSplitOptions.RemoveEmptyEntries), l => Assert.Contains(l, TinyMultiLabelTask.Labels)));
        foreach (var png in new[] { "eval_per_label_f1.png", "test_per_label_f1.png", "training_curves.png" })
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(output, png))[..4]);

        // stand-alone commands read the task from the model
        var evalAgain = Run("eval", "--model", output, "--data-dir", data);
        Assert.True(evalAgain.Code == 0, evalAgain.Err);
        Assert.Contains($"dev.txt: micro-F1 {microF1:P2}", evalAgain.Out);
        var predicted = Path.Combine(temp.Path, "predictions.txt");
        Assert.Equal(0, Run("predict", "--model", output, "--data-dir", data, "--file", "test.txt", "--output", predicted, "--task", "multi-label").Code);
        Assert.Equal(predictions, File.ReadAllLines(predicted));
        // ONNX Runtime alone gives the same label sets
        var inferred = Path.Combine(temp.Path, "inferred.txt");
        var infer = Run("infer", "--model-path", Path.Combine(output, "export", "model.onnx"), "--data-dir", data, "--file", "test.txt", "--output", inferred, "--task", "multi-label");
        Assert.True(infer.Code == 0, infer.Err);
        Assert.Equal(predictions, File.ReadAllLines(inferred));
        var wrongTask = Run("predict", "--model", output, "--data-dir", data, "--task", "multi-class");
        AssertOneLineError(2, wrongTask.Code, wrongTask.Out, wrongTask.Err, "--task multi-class", "--task multi-label");
    }

    [Fact]
    public void MultiLabelDataWithoutTheTaskSaysWhichTaskToUse()
    {
        using var temp = new TempDirectory();
        var data = MultiLabelFolder(temp.Path);
        var (code, stdout, stderr) = Run(TrainArgs(data, Path.Combine(temp.Path, "out"), "--do-train", "--task", "multi-class"));
        Assert.NotEqual(0, code);
        Assert.Contains("--task multi-label", stderr);
        Assert.Contains("train.txt:", stderr);
    }

    [Fact]
    public void HierarchicalLabelFileWithoutAParentFailsAtItsLine()
    {
        using var temp = new TempDirectory();
        var data = Path.Combine(temp.Path, "data");
        Directory.CreateDirectory(data);
        File.WriteAllLines(Path.Combine(data, "label.txt"), ["人生", "财经##涨价"]);
        File.WriteAllLines(Path.Combine(data, "train.txt"), ["甲\t人生"]);
        var (code, _, stderr) = Run(TrainArgs(data, Path.Combine(temp.Path, "out"), "--do-train", "--task", "hierarchical"));
        Assert.NotEqual(0, code);
        Assert.Contains("label.txt:2", stderr);
        Assert.Contains("'财经'", stderr);
    }
}
