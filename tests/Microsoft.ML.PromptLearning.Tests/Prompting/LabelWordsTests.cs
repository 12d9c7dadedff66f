using System.Text;
using Microsoft.ML.PromptLearning.Prompting;

namespace Microsoft.ML.PromptLearning.Tests.Prompting;

public class LabelWordsTests
{
    [Fact]
    public void ReadsTheTnewsLabelFileInFileOrder()
    {
        var words = LabelWords.FromLabelFile(Path.Combine(TestPaths.SharedData, "fewclue", "tnews", "label.txt"));
        Assert.Equal(15, words.Count);
        Assert.Equal("news_story", words.Labels[0]);
        Assert.Equal("news_game", words.Labels[^1]);
        Assert.Equal(new[] { "汽车" }, words["news_car"]);
        Assert.Equal(6, words.IndexOf("news_car"));
    }

    [Fact]
    public void RepeatedLabelsBomCrlfBlankLinesAndPlainLabels()
    {
        var text = "\uFEFF正向==好\r\n\r\n负向==差\r\n正向==不错\r\n  中性  \r\n正向==好\r\n负向 == 不喜欢 \r\n";
        var words = LabelWords.Parse(text);
        Assert.Equal(new[] { "正向", "负向", "中性" }, words.Labels);
        Assert.Equal(new[] { "好", "不错" }, words["正向"]);          // the repeated pair is dropped
        Assert.Equal(new[] { "差", "不喜欢" }, words["负向"]);
        Assert.Equal(new[] { "中性" }, words["中性"]);
        Assert.Equal(words.Labels, LabelWords.Parse(words.ToLabelFileText()).Labels);
        Assert.Equal(words["负向"], LabelWords.FromJson(words.ToJson())["负向"]);
    }

    [Theory]
    [InlineData("a==b\n==c\n", "labels.txt:2", "no label")]
    [InlineData("a==b\nc==\n", "labels.txt:2", "no word")]
    [InlineData("a==b\n\nc==d==e\n", "labels.txt:3", "more than one '=='")]
    [InlineData("\n \r\n", "labels.txt", "no labels")]
    public void ErrorsNameFileAndLine(string text, string where, string problem)
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "labels.txt");
        File.WriteAllText(path, text, new UTF8Encoding(false));
        var e = Assert.Throws<InvalidDataException>(() => LabelWords.FromLabelFile(path));
        Assert.Contains(where, e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void FromDictionaryKeepsOrderAndValidates()
    {
        var words = LabelWords.FromDictionary(new Dictionary<string, string[]> { ["z"] = ["好"], ["a"] = ["坏", "差"] });
        Assert.Equal(new[] { "z", "a" }, words.Labels);
        Assert.Throws<ArgumentException>(() => LabelWords.FromDictionary(new Dictionary<string, string[]> { ["z"] = [] }));
        Assert.Throws<ArgumentException>(() => LabelWords.FromDictionary(new Dictionary<string, string[]> { ["z"] = [" "] }));
        Assert.Throws<KeyNotFoundException>(() => words["missing"]);
        Assert.Equal(new[] { "x" }, LabelWords.FromLabels(["x", "y"])["x"]);
    }

    [Fact]   // PaddleNLP test_manual_initialization (our labels keep their order; PaddleNLP sorts them)
    public void TokenizedLabelWordsArePaddedLikePaddleNlp()
    {
        var t = PromptTestData.ErnieVocab;
        int Id(string s) => t.Tokenize(s).Single();
        var tokens = LabelWordTokens.Create(LabelWords.FromDictionary(new Dictionary<string, string[]> { ["0"] = ["差评", "不喜欢"], ["1"] = ["好评", "不错"] }), t);
        using var scope = TorchSharp.torch.NewDisposeScope();
        Assert.Equal(new long[] { Id("差"), Id("评"), 0, Id("不"), Id("喜"), Id("欢"), Id("好"), Id("评"), 0, Id("不"), Id("错"), 0 },
            tokens.TokenIds(TorchSharp.torch.CPU).data<long>().ToArray());
        Assert.Equal(new float[] { 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 0 }, tokens.TokenMask(TorchSharp.torch.float32, TorchSharp.torch.CPU).data<float>().ToArray());
        Assert.Equal(new float[] { 1, 1, 1, 1 }, tokens.WordMask(TorchSharp.torch.float32, TorchSharp.torch.CPU).data<float>().ToArray());

        tokens = LabelWordTokens.Create(LabelWords.FromDictionary(new Dictionary<string, string[]> { ["1"] = ["很满意", "非常推荐"], ["0"] = ["避雷"] }), t);
        Assert.Equal((2, 2, 4), (tokens.Labels, tokens.MaxWords, tokens.MaxTokens));
        Assert.Equal(new float[] { 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0 }, tokens.TokenMask(TorchSharp.torch.float32, TorchSharp.torch.CPU).data<float>().ToArray());
        Assert.Equal(new float[] { 1, 1, 1, 0 }, tokens.WordMask(TorchSharp.torch.float32, TorchSharp.torch.CPU).data<float>().ToArray());
    }

    [Fact]
    public void UnknownWordIsAnErrorNamingWordAndLabel()
    {
        var e = Assert.Throws<ArgumentException>(() => LabelWordTokens.Create(LabelWords.FromDictionary(new Dictionary<string, string[]> { ["rare"] = ["好𪚥"] }), PromptTestData.ErnieVocab));
        Assert.Contains("'好𪚥' of label 'rare' tokenizes to [UNK]", e.Message);
        Assert.Contains("'𪚥' is not in the vocabulary", e.Message);
        e = Assert.Throws<ArgumentException>(() => LabelWordTokens.Create(LabelWords.FromDictionary(new Dictionary<string, string[]> { ["m"] = ["[MASK]"] }), PromptTestData.ErnieVocab));
        Assert.Contains("special token", e.Message);
    }

    [Fact]
    public void EveryUnpredictableLabelWordIsNamedInOneMessage()
    {
        var words = new Dictionary<string, string[]> { ["a"] = ["好𪚥"], ["b"] = ["体育"], ["c"] = ["𠀾球", "[MASK]"] };
        var e = Assert.Throws<ArgumentException>(() => LabelWordTokens.Create(LabelWords.FromDictionary(words), PromptTestData.ErnieVocab));
        Assert.StartsWith("3 label words cannot be predicted by the model", e.Message);
        Assert.Contains("'好𪚥' of label 'a' tokenizes to [UNK]", e.Message);
        Assert.Contains("'𠀾球' of label 'c' tokenizes to [UNK] ('𠀾' is not in the vocabulary)", e.Message);
        Assert.Contains("'[MASK]' of label 'c' contains a special token", e.Message);
        Assert.DoesNotContain("'体育'", e.Message);
    }
}
