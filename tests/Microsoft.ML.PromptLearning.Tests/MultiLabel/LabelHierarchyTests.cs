using Microsoft.ML.PromptLearning.MultiLabel;

namespace Microsoft.ML.PromptLearning.Tests.MultiLabel;

public class LabelHierarchyTests
{
    private static readonly string[] Labels = ["财经/交易", "财经/交易##涨价", "人生", "人生##婚礼", "人生##婚礼##求婚"];

    [Fact]
    public void ParentsLevelsAndLabelWordsFollowThePaths()
    {
        var tree = LabelHierarchy.Create(Labels);
        Assert.Equal(new[] { -1, 0, -1, 2, 3 }, Enumerable.Range(0, 5).Select(tree.ParentOf));
        Assert.Equal(new[] { 1, 2, 1, 2, 3 }, Enumerable.Range(0, 5).Select(tree.LevelOf));
        Assert.Equal(3, tree.Depth);
        Assert.Equal(new[] { 1, 3 }, tree.LabelsAtLevel(2));
        Assert.Equal("涨价", LabelHierarchy.LastSegment("财经/交易##涨价"));
        Assert.Equal("财经/交易", LabelHierarchy.LastSegment("财经/交易"));
        Assert.Equal(new[] { 3, 2 }, tree.AncestorsOf(4));
    }

    [Fact]
    public void APredictedChildImpliesItsParentAndAllAncestors()
    {
        var tree = LabelHierarchy.Create(Labels);
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, tree.Complete([4, 1]));
        Assert.Equal(new[] { 2 }, tree.Complete([2]));           // a parent alone stays alone
        Assert.Empty(tree.Complete([]));
        Assert.Equal((4, 3), tree.FindMissingParent([2, 4]));
        Assert.Null(tree.FindMissingParent([2, 3, 4]));
    }

    [Fact]
    public void APathWhoseParentIsNotListedFailsWithItsLocation()
    {
        var e = Assert.Throws<InvalidDataException>(() => LabelHierarchy.Create(["人生", "财经/交易##涨价"], ["label.txt:1", "label.txt:2"]));
        Assert.Contains("label.txt:2", e.Message);
        Assert.Contains("'财经/交易'", e.Message);
        Assert.Contains("add a line", e.Message);
        Assert.Contains("empty segment", Assert.Throws<InvalidDataException>(() => LabelHierarchy.Create(["A", "A##"])).Message);
    }
}
