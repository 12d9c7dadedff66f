using Microsoft.ML.PromptLearning.Cli.Workflow;
using Microsoft.ML.PromptLearning.Data;
using Microsoft.ML.PromptLearning.MultiLabel;

namespace Microsoft.ML.PromptLearning.Tests.Cli;

public class MultiLabelSplitEvaluationTests
{
    private static readonly string[] Labels = ["人生", "人生##婚礼", "财经/交易", "财经/交易##涨价"];

    private static MultiLabelSplitEvaluation Evaluate() => MultiLabelSplitEvaluation.From("dev.txt",
        [
            new MultiLabeledText { Text = "甲", Labels = ["人生", "人生##婚礼"] },
            new MultiLabeledText { Text = "乙", Labels = ["财经/交易", "财经/交易##涨价"] },
            new MultiLabeledText { Text = "丙", Labels = [] },
        ],
        [[0, 1], [2], []], Labels, LabelHierarchy.Create(Labels), seconds: 0.5);

    [Fact]
    public void ResultsHoldOverallPerLabelAndPerLevelFigures()
    {
        var json = Evaluate().ToJson("eval");
        // tp 3, fp 0, fn 1 → micro P 1, R 3/4, F1 6/7; per-label F1 1, 1, 1, 0 → macro 3/4
        Assert.Equal(6.0 / 7, (double)json["eval_micro_f1"], 12);
        Assert.Equal(0.75, (double)json["eval_macro_f1"], 12);
        Assert.Equal(2.0 / 3, (double)json["eval_subset_accuracy"], 12);
        Assert.Equal(1.0 / 12, (double)json["eval_hamming_loss"], 12);
        Assert.Equal(3, json["eval_samples"]);
        Assert.Equal(4, ((Dictionary<string, object>)json["eval_per_label"]).Count);
        var levels = (List<Dictionary<string, object>>)json["eval_per_level"];
        Assert.Equal(1.0, (double)levels[0]["micro_f1"], 12);
        Assert.Equal(2.0 / 3, (double)levels[1]["micro_f1"], 12);   // level 2: tp 1, fn 1
    }

    [Fact]
    public void PredictionLinesListTheLabelsWithCommas()
    {
        var lines = MultiLabelSplitEvaluation.PredictionLines(["甲", "乙", "丙"], [[0, 1], [2], []], Labels).ToArray();
        Assert.Equal(new[] { "甲\t人生,人生##婚礼", "乙\t财经/交易", "丙\t" }, lines);
    }

    [Fact]
    public void PerLabelF1ChartIsAPng()
    {
        using var dir = new TempDirectory();
        var m = Evaluate().Metrics;
        var path = dir.File("f1.png");
        Plots.PerLabelF1(path, "dev.txt", m.PerLabel.Select(s => (s.Label, s.F1, s.Support)).ToList());
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(path)[..4]);
    }
}
