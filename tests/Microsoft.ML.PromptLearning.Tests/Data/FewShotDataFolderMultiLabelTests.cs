using Microsoft.ML.PromptLearning.Data;

namespace Microsoft.ML.PromptLearning.Tests.Data;

public class FewShotDataFolderMultiLabelTests
{
    private static TempDirectory Folder(string labels, string train)
    {
        var dir = new TempDirectory();
        File.WriteAllText(dir.File("label.txt"), labels);
        File.WriteAllText(dir.File("train.txt"), train);
        return dir;
    }

    [Fact]
    public void MultiLabelLinesAndEmptyLabelFieldsAreRead()
    {
        using var dir = Folder("DV1==婚后有子女\nDV2==支付抚养费\nDV3\n", "甲\tDV1,DV3\n\n乙\t\n丙\t DV2 \n");
        var rows = FewShotDataFolder.Open(dir.Path).ReadMultiLabeled("train.txt");
        Assert.Equal(new[] { "甲", "乙", "丙" }, rows.Select(r => r.Text));
        Assert.Equal(new[] { "DV1", "DV3" }, rows[0].Labels);
        Assert.Empty(rows[1].Labels);
        Assert.Equal(new[] { "DV2" }, rows[2].Labels);
    }

    [Theory]
    [InlineData("甲\tDV1\n乙\tDV9\n", "train.txt:2", "'DV9' is not in label.txt")]
    [InlineData("甲\tDV1,DV2,DV1\n", "train.txt:1", "'DV1' is listed twice")]
    [InlineData("甲\tDV1,,DV2\n", "train.txt:1", "empty entry")]
    [InlineData("\n甲\n", "train.txt:2", "found no tab")]
    public void BadLinesFailWithFileAndLine(string train, string where, string what)
    {
        using var dir = Folder("DV1\nDV2\n", train);
        var e = Assert.Throws<InvalidDataException>(() => FewShotDataFolder.Open(dir.Path).ReadMultiLabeled("train.txt"));
        Assert.Contains(where, e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void MultiLabelDataGivenToTheMultiClassReaderNamesTheTask()
    {
        using var dir = Folder("DV1\nDV2\n", "甲\tDV1,DV2\n");
        var e = Assert.Throws<InvalidDataException>(() => FewShotDataFolder.Open(dir.Path).ReadLabeled("train.txt"));
        Assert.Contains("train.txt:1", e.Message);
        Assert.Contains("multi-label data", e.Message);
        Assert.Contains("--task multi-label", e.Message);

        using var tree = Folder("A\nA##b\n", "甲\tA,A##b\n");
        var h = Assert.Throws<InvalidDataException>(() => FewShotDataFolder.Open(tree.Path).ReadLabeled("train.txt"));
        Assert.Contains("--task hierarchical", h.Message);
    }

    [Fact]
    public void HierarchicalFoldersCheckTheTreeAndThePaths()
    {
        using var dir = Folder("财经/交易\n财经/交易##涨价\n人生\n人生##婚礼==婚礼\n", "甲\t财经/交易,财经/交易##涨价\n乙\t人生\n");
        var folder = FewShotDataFolder.Open(dir.Path);
        Assert.Equal(2, folder.Hierarchy().Depth);
        Assert.Equal(2, folder.ReadHierarchical("train.txt").Count);
        var words = folder.NodeLabelWords();
        Assert.Equal(new[] { "涨价" }, words["财经/交易##涨价"]);
        Assert.Equal(new[] { "财经/交易" }, words["财经/交易"]);
        Assert.Equal(new[] { "婚礼" }, words["人生##婚礼"]);

        File.WriteAllText(dir.File("dev.txt"), "甲\t人生\n\n乙\t财经/交易##涨价\n");
        var e = Assert.Throws<InvalidDataException>(() => folder.ReadHierarchical("dev.txt"));
        Assert.Contains("dev.txt:3", e.Message);
        Assert.Contains("without its parent '财经/交易'", e.Message);
    }

    [Fact]
    public void AHierarchicalLabelFileWithoutAParentFailsAtItsLine()
    {
        using var dir = Folder("人生\n\n财经/交易##涨价\n", "甲\t人生\n");
        var e = Assert.Throws<InvalidDataException>(() => FewShotDataFolder.Open(dir.Path).Hierarchy());
        Assert.Contains("label.txt:3", e.Message);
        Assert.Contains("parent '财经/交易'", e.Message);
    }

    [Fact]
    public void TheSharedDataFoldersRead()
    {
        var divorce = FewShotDataFolder.Open(Path.Combine(TestPaths.SharedData, "cail2019_divorce"));
        Assert.Equal(20, divorce.Labels.Count);
        var train = divorce.ReadMultiLabeled("train.txt");
        Assert.Equal(80, train.Count);
        Assert.Equal(28, train.Count(r => r.Labels.Contains("DV1")));   // labels.tsv
        var events = FewShotDataFolder.Open(Path.Combine(TestPaths.SharedData, "duee_event_types"));
        Assert.Equal(74, events.Labels.Count);
        Assert.Equal(2, events.Hierarchy().Depth);
        Assert.Equal(148, events.ReadHierarchical("train.txt").Count);
        Assert.Equal(1210, events.ReadHierarchical("test.txt").Count);
    }
}
