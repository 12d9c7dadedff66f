using Microsoft.ML.PromptLearning.Pretraining;

namespace Microsoft.ML.PromptLearning.Tests.Pretraining;

public class TextCorpusTests
{
    [Fact]
    public void ReadsXzShardLineByLine()
    {
        var path = Path.Combine(TestPaths.SharedData, "corpus", "zh-debian-faq.txt.xz");
        var lines = TextCorpus.ReadLines(path).ToList();
        Assert.Equal(581, lines.Count);                                  // the corpus README's count for this shard
        Assert.All(lines, l => Assert.InRange(l.Length, 10, 500));
    }

    [Fact]
    public void PlainFilesSkipBlankLinesAndToleratesBomAndCrlf()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "data.txt");
        File.WriteAllBytes(path, new byte[] { 0xEF, 0xBB, 0xBF }.Concat(System.Text.Encoding.UTF8.GetBytes("第一行\r\n\r\n  第二行 \r\n")).ToArray());
        Assert.Equal(new[] { "第一行", "第二行" }, TextCorpus.ReadLines(path));
    }

    [Fact]
    public void InvalidUtf8NamesFileAndLine()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "gbk.txt");
        File.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes("好的\n").Concat(new byte[] { 0xC4, 0xE3, 0xBA, 0xC3, 0x0A }).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => TextCorpus.ReadLines(path).ToList());
        Assert.Contains("gbk.txt:2", e.Message);
    }
}
