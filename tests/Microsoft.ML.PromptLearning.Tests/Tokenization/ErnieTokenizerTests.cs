using Microsoft.ML.PromptLearning.Tokenization;

namespace Microsoft.ML.PromptLearning.Tests.Tokenization;

public class ErnieTokenizerTests
{
    private static readonly Lazy<ErnieTokenizer> Ernie = new(() => ErnieTokenizer.FromVocabFile(TestPaths.ErnieVocab));
    private static readonly Lazy<ErnieTokenizer> Bert = new(() => ErnieTokenizer.FromVocabFile(TestPaths.BertVocab));

    [Fact]
    public void SpecialTokenIdsComeFromTheVocabFile()
    {
        var e = Ernie.Value;
        Assert.Equal(39980, e.VocabSize);
        Assert.Equal((0, 1, 2, 3, 39979), (e.PadId, e.ClsId, e.SepId, e.MaskId, e.UnknownId));
        var b = Bert.Value;
        Assert.Equal(21128, b.VocabSize);                       // U+2028 tokens do not split lines
        Assert.Equal((0, 101, 102, 103, 100), (b.PadId, b.ClsId, b.SepId, b.MaskId, b.UnknownId));
        Assert.Equal("\u2028", b.IdToToken(343));
    }

    [Fact]
    public void DuplicateVocabEntryMapsToItsLastLineLikePaddleNlp()
    {
        Assert.Equal("$", Ernie.Value.IdToToken(12084));
        Assert.Equal(new[] { 18005 }, Ernie.Value.Tokenize("$"));
    }

    [Fact]
    public void ChineseIsOneTokenPerCharacterAndMaskStaysWhole()
    {
        var t = Ernie.Value;
        Assert.Equal(new[] { "新", "闻", "[MASK]", "[MASK]", "！" }, t.TokenizeToStrings("新闻[MASK][MASK]！"));
    }

    [Fact]
    public void LatinIsLowercasedAccentStrippedAndWordPieced()
    {
        Assert.Equal(new[] { "iphone", "##12", "hello" }, Bert.Value.TokenizeToStrings("iPhone12 Héllo"));
    }

    [Fact]
    public void AsciiSymbolsArePunctuationNotDropped()
    {
        // Hugging Face's BasicTokenizer treats ASCII 33-47, 58-64, 91-96, 123-126 as punctuation: split off, never dropped.
        Assert.Equal(new[] { "1", "+", "1", "=", "2", "$" }, Bert.Value.TokenizeToStrings("1+1=2$"));
    }

    [Fact]
    public void UnknownCharacterBecomesUnk()
    {
        var t = Bert.Value;
        Assert.Equal(new[] { t.UnknownId }, t.Tokenize("矸"));
    }

    [Fact]
    public void PairEncodingHasTokenTypesAndTruncatesLongestFirst()
    {
        var t = Ernie.Value;
        var enc = t.Encode("今天天气很好", "明天下雨", maxLength: 9);
        // [CLS] 今 天 天 [SEP] 明 天 下 [SEP] : 9 tokens; the longer first text was cut first, then both in turn.
        Assert.Equal(9, enc.InputIds.Length);
        Assert.Equal(new[] { 0, 0, 0, 0, 0, 1, 1, 1, 1 }, enc.TokenTypeIds);
        Assert.Equal(t.ClsId, enc.InputIds[0]);
        Assert.Equal(t.SepId, enc.InputIds[4]);
        Assert.Equal(t.SepId, enc.InputIds[8]);
        Assert.Equal(new[] { t.ClsId, t.SepId }, t.Encode("").InputIds);
    }

    [Fact]
    public void VocabWithoutSpecialTokensIsRejectedClearly()
    {
        var e = Assert.Throws<InvalidDataException>(() => ErnieTokenizer.FromVocabText("a\nb\n"));
        Assert.Contains("[UNK]", e.Message);
    }

    [Fact]
    public void ALineWithACarriageReturnInsideIsOneTokenAndBreaksNothing()
    {
        // Found by fuzzing: "[UNK]\r[UNK]" is one line (one id) here, but two lines to the word-piece reader, which then saw [UNK] twice.
        var tokenizer = ErnieTokenizer.FromVocabText("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n[UNK]\r[UNK]\n学\n生\n");
        Assert.Equal(8, tokenizer.VocabSize);
        Assert.Equal(new[] { 2, 6, 7, 1, 3 }, tokenizer.Encode("学生x", null, 16).InputIds);
    }
}
