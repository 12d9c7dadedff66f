using System.Text.Json.Nodes;
using Microsoft.ML.PromptLearning.Benchmarks.OnnxParity;
using Microsoft.ML.PromptLearning.Prompting;

namespace Microsoft.ML.PromptLearning.Tests.Benchmarks;

public class OnnxParityTests
{
    private static readonly Dictionary<string, string> Names = new() { ["教育"] = "edu", ["经济"] = "econ", ["体育"] = "sport" };

    /// <summary>The tiny task as a PaddleNLP data folder: label.txt with label==word lines, train_0.txt and test.txt.</summary>
    internal static string DataFolder()
    {
        var dir = TestPaths.NewTempDir();
        File.WriteAllLines(Path.Combine(dir, "label.txt"), TinyTask.Labels.Select(l => $"{Names[l]}=={l}"));
        File.WriteAllLines(Path.Combine(dir, "train_0.txt"), TinyTask.Rows(4, seed: 1).Select(r => $"{r.Text}\t{Names[r.Label]}"));
        File.WriteAllLines(Path.Combine(dir, "test.txt"), TinyTask.Rows(6, seed: 2).Select(r => $"{r.Text}\t{Names[r.Label]}"));
        return dir;
    }

    [Fact]
    public void EveryMethodTrainsExportsAndScoresLikeTorchSharp()
    {
        var dir = DataFolder();
        var settings = new OnnxParitySettings
        {
            ModelPath = TestPaths.Fixture("tiny-ernie"), DataDir = dir, Prompt = "主题是", MaxSteps = 2, Limit = 10, Threads = 1, BatchSize = 4,
            EvalBatchSize = 4, MaxSequenceLength = 32, OutputDir = Path.Combine(dir, "onnx"),
        };
        var results = OnnxParityBench.Run(settings, TextWriter.Null);

        Assert.Equal(OnnxParitySettings.AllMethods, results.Select(r => r.Method));
        foreach (var r in results)
        {
            Assert.Equal(2, r.Steps);
            Assert.Equal(10, r.Texts);
            Assert.True(r.Fp32.MaxAbsDiff <= 1e-5, $"{r.Method}: fp32 max |Δp| {r.Fp32.MaxAbsDiff}");
            Assert.Equal(1.0, r.Fp32.ArgmaxAgreement);
            Assert.Equal(r.TorchAccuracy, r.Fp32.Accuracy);
            Assert.InRange(r.TorchAccuracy, 0.0, 1.0);
            Assert.InRange(r.Int8.Accuracy, 0.0, 1.0);
            Assert.InRange(r.Int8.MaxAbsDiff, 0.0, 1.0);
            Assert.True(r.Int8.ModelBytes > 0 && r.Fp32.ModelBytes > 0);
            Assert.True(File.Exists(r.Fp32Path) && File.Exists(r.Int8Path));
        }
        Assert.Contains("'encoder': 'lstm'", results.Single(r => r.Method == "prompt-soft-template").Template);
        Assert.Equal(2, Template.Parse(results.Single(r => r.Method == "prompt-per-char").Template).MaskCount);   // one per character of the label words

        var markdown = OnnxParityBench.Markdown(results).TrimEnd().Split('\n');
        Assert.Equal(2 + results.Count, markdown.Length);
        Assert.All(markdown, line => Assert.StartsWith("|", line));
        var json = JsonNode.Parse(OnnxParityBench.Json(settings, results, 1e-4, passed: true, checker: "skipped").ToJsonString())!;
        Assert.Equal(results.Count, json["methods"]!.AsArray().Count);
        Assert.Equal(results[0].Fp32.MaxAbsDiff, json["methods"]![0]!["onnx_fp32"]!["max_abs_diff_vs_torch"]!.GetValue<double>());
    }

    [Fact]
    public void UnknownMethodIsRejected()
    {
        var settings = new OnnxParitySettings { ModelPath = TestPaths.Fixture("tiny-ernie"), DataDir = DataFolder(), Methods = ["prompt-soft", "nope"] };
        Assert.Contains("nope", Assert.Throws<ArgumentException>(() => OnnxParityBench.Run(settings, TextWriter.Null)).Message);
    }
}
