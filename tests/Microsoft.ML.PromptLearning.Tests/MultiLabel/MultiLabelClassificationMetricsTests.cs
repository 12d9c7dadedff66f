using Microsoft.ML.PromptLearning.MultiLabel;

namespace Microsoft.ML.PromptLearning.Tests.MultiLabel;

public class MultiLabelClassificationMetricsTests
{
    private static IReadOnlyCollection<int>[] Sets(params int[][] rows) => rows;

    [Fact]
    public void EveryFigureMatchesTheHandComputedValues()
    {
        // labels A B C D; D is absent from the rows and never predicted
        var gold = Sets([0, 1], [0], [], [1, 2]);
        var predicted = Sets([0], [0, 2], [], [1, 2]);
        var m = MultiLabelClassificationMetrics.Compute(gold, predicted, ["A", "B", "C", "D"]);
        // A: tp 2 → P 1, R 1, F1 1 | B: tp 1, fn 1 → P 1, R 1/2, F1 2/3 | C: tp 1, fp 1 → P 1/2, R 1, F1 2/3 | D: all 0
        Assert.Equal(new[] { 1.0, 1.0, 0.5, 0.0 }, m.PerLabel.Select(s => s.Precision));
        Assert.Equal(new[] { 1.0, 0.5, 1.0, 0.0 }, m.PerLabel.Select(s => s.Recall));
        Assert.Equal(new[] { 1.0, 2.0 / 3, 2.0 / 3, 0.0 }, m.PerLabel.Select(s => s.F1), new DoubleTolerance(1e-12));
        Assert.Equal(new[] { 2, 2, 1, 0 }, m.PerLabel.Select(s => s.Support));
        Assert.Equal(new[] { "A", "B", "C", "D" }, m.PerLabel.Select(s => s.Label));
        // pooled: tp 4, fp 1, fn 1
        Assert.Equal(0.8, m.MicroPrecision, 12);
        Assert.Equal(0.8, m.MicroRecall, 12);
        Assert.Equal(0.8, m.MicroF1, 12);
        // means over all four labels, D included
        Assert.Equal(0.625, m.MacroPrecision, 12);
        Assert.Equal(0.625, m.MacroRecall, 12);
        Assert.Equal(7.0 / 12, m.MacroF1, 12);
        Assert.Equal(0.5, m.SubsetAccuracy, 12);      // rows 2 and 3 exactly right
        Assert.Equal(2.0 / 16, m.HammingLoss, 12);    // one fp + one fn over 4 rows × 4 labels
        Assert.Equal(4, m.Rows);
        Assert.Empty(m.PerLevel);
    }

    [Fact]
    public void PerLevelFiguresUseOnlyThatLevelsLabels()
    {
        var labels = new[] { "X", "X##a", "X##b", "Y", "Y##c" };
        var tree = LabelHierarchy.Create(labels);
        var m = MultiLabelClassificationMetrics.Compute(Sets([0, 1], [3, 4]), Sets([0, 2], [3]), labels, tree);
        // overall: tp 2 (X, Y), fp 1 (X##b), fn 2 (X##a, Y##c)
        Assert.Equal(2.0 / 3, m.MicroPrecision, 12);
        Assert.Equal(0.5, m.MicroRecall, 12);
        Assert.Equal(4.0 / 7, m.MicroF1, 12);
        Assert.Equal(2, m.PerLevel.Count);
        var top = m.PerLevel[0];
        Assert.Equal(new[] { "X", "Y" }, top.PerLabel.Select(s => s.Label));
        Assert.Equal(1.0, top.MicroF1, 12);
        Assert.Equal(1.0, top.MacroF1, 12);
        Assert.Equal(1.0, top.SubsetAccuracy, 12);
        Assert.Equal(0.0, top.HammingLoss, 12);
        var leaves = m.PerLevel[1];
        Assert.Equal(new[] { "X##a", "X##b", "Y##c" }, leaves.PerLabel.Select(s => s.Label));
        Assert.Equal(0.0, leaves.MicroF1, 12);
        Assert.Equal(0.0, leaves.SubsetAccuracy, 12);
        Assert.Equal(3.0 / 6, leaves.HammingLoss, 12);   // 3 wrong decisions over 2 rows × 3 labels
    }

    [Fact]
    public void PerfectPredictionsScoreOneAndEmptySetsCount()
    {
        var rows = Sets([1], [], [0, 1]);
        var m = MultiLabelClassificationMetrics.Compute(rows, rows, ["A", "B"]);
        Assert.Equal(1.0, m.MicroF1);
        Assert.Equal(1.0, m.MacroF1);
        Assert.Equal(1.0, m.SubsetAccuracy);
        Assert.Equal(0.0, m.HammingLoss);
    }

    [Fact]
    public void BadInputIsRejected()
    {
        Assert.Throws<ArgumentException>(() => MultiLabelClassificationMetrics.Compute(Sets([0]), Sets([0], [1]), ["A", "B"]));
        var e = Assert.Throws<ArgumentException>(() => MultiLabelClassificationMetrics.Compute(Sets([2]), Sets([0]), ["A", "B"]));
        Assert.Contains("label index 2", e.Message);
    }

    private sealed class DoubleTolerance(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
