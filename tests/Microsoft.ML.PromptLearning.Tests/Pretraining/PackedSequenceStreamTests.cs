using Microsoft.ML.PromptLearning.Pretraining;
using Microsoft.ML.PromptLearning.Tokenization;

namespace Microsoft.ML.PromptLearning.Tests.Pretraining;

public class PackedSequenceStreamTests
{
    private static readonly ErnieTokenizer Tokenizer = ErnieTokenizer.FromVocabFile(Path.Combine(TestPaths.Fixture("tiny-ernie"), "vocab.txt"));
    private static readonly string[] Lines = { "北京冬奥会开幕式顺利举行", "今天天气很好", "新闻标题的主题是体育", "中国人民银行发布数据", "比赛结果出人意料" };

    [Fact]
    public void EverySequenceHasExactLengthWithClsAndSep()
    {
        var stream = new PackedSequenceStream(Lines, Tokenizer, length: 16, seed: 1);
        for (int i = 0; i < 20; i++)
        {
            var s = stream.Next();
            Assert.Equal(16, s.Length);
            Assert.Equal(Tokenizer.ClsId, s[0]);
            Assert.Equal(Tokenizer.SepId, s[^1]);
        }
        Assert.True(stream.Position.Epoch >= 1, "twenty 16-token sequences should wrap around five short lines");
    }

    [Fact]
    public void PackingKeepsEveryTokenInOrderAcrossSequences()
    {
        var stream = new PackedSequenceStream(Lines, Tokenizer, length: 10, seed: 3);
        var body = new List<int>();
        for (int i = 0; i < 6; i++) body.AddRange(stream.Next()[1..^1]);
        // Reconstruct the first epoch's token stream: lines in shuffled order joined by [SEP].
        var order = Enumerable.Range(0, Lines.Length).ToArray();
        new Random(3).Shuffle(order);
        var expected = new List<int>();
        foreach (var i in order) { if (expected.Count > 0) expected.Add(Tokenizer.SepId); expected.AddRange(Tokenizer.Tokenize(Lines[i])); }
        int n = Math.Min(expected.Count, body.Count) - 2;
        Assert.Equal(expected.Take(n).Where(t => t != Tokenizer.SepId), body.Take(body.Count).Where(t => t != Tokenizer.SepId).Take(expected.Take(n).Count(t => t != Tokenizer.SepId)));
    }

    [Fact]
    public void RestartingFromASavedPositionContinuesIdentically()
    {
        var a = new PackedSequenceStream(Lines, Tokenizer, length: 12, seed: 9);
        for (int i = 0; i < 7; i++) a.Next();
        var saved = System.Text.Json.JsonSerializer.Deserialize<StreamPosition>(System.Text.Json.JsonSerializer.Serialize(a.Position));
        var b = new PackedSequenceStream(Lines, Tokenizer, length: 12, seed: 9, position: saved);
        for (int i = 0; i < 10; i++) Assert.Equal(a.Next(), b.Next());
    }
}
