using Microsoft.ML.PromptLearning.Prompting;
using static Microsoft.ML.PromptLearning.Tests.Prompting.PromptTestData;

namespace Microsoft.ML.PromptLearning.Tests.Prompting;

/// <summary>
/// Golden encodings ported from PaddleNLP's tests/prompt/test_template.py (example text_a "天气晴朗", text_b "下雪了",
/// max_length 20, tiny-random-ernie, whose first vocabulary lines are ERNIE 3.0's). Templates without a mask get a
/// trailing {'mask'} here (this library requires one) and max_length grows by one so the truncation is unchanged.
/// </summary>
public class PromptEncoderTests
{
    private const string TextA = "天气晴朗", TextB = "下雪了";

    private static PromptEncoding Encode(string template, int maxLength = 20, string a = TextA, string b = TextB) =>
        new PromptEncoder(Template.FromPrompt(template), ErnieVocab, maxLength).Encode(a, b);

    [Theory]   // test_manual_template / test_auto_template
    [InlineData("{'text': 'text_a'}说明天气{'mask'}好。", 20, "[CLS]天气晴朗说明天气[MASK]好。[SEP]")]
    [InlineData("{'text': 'text_a'}{'hard': '说明天气'}{'mask'}{'hard': '好。'}", 20, "[CLS]天气晴朗说明天气[MASK]好。[SEP]")]
    [InlineData("下边两句话意思一样吗？{'text':'text_a'}{'sep'}{'text':'text_b'}{'mask'}", 21, "[CLS]下边两句话意思一样吗？天气晴[SEP]下雪了[MASK][SEP]")]
    [InlineData("{'text': 'text_a'}{'text': 'text_b', 'truncate': False}这是一个很长的提示，要截断{'mask'}", 21, "[CLS]天气下雪了这是一个很长的提示，要截断[MASK][SEP]")]
    [InlineData("{'text':'text_a'}说明天气{'mask': None, 'length': 3}", 20, "[CLS]天气晴朗说明天气[MASK][MASK][MASK][SEP]")]
    public void ManualTemplateGoldens(string template, int maxLength, string expected)
    {
        var e = Encode(template, maxLength);
        Assert.Equal(expected, Decode(ErnieVocab, e.InputIds));
        Assert.All(e.SoftTokenIds, id => Assert.Equal(0, id));
        Assert.Equal(e.InputIds.Select((id, i) => (id, i)).Where(x => x.id == ErnieVocab.MaskId).Select(x => x.i), e.MaskPositions);
    }

    [Fact]   // test_position
    public void PositionAttributeRestartsPositionsAndFinalSepGetsZero()
    {
        Assert.Equal(new[] { 0, 4, 5, 6, 7, 8, 0 }, Encode("{'text':'text_a', 'position': 4}{'mask'}").PositionIds);
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5, 0 }, Encode("{'text':'text_a', 'position': 0}{'mask'}").PositionIds);   // 0 is ignored, as in PaddleNLP
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 2, 3, 0 }, Encode("{'text':'text_a'}{'mask', 'position': 2}{'mask'}").PositionIds);
    }

    [Fact]   // test_token_type
    public void TokenTypePropagatesToFollowingPartsButNotToTheFinalSep()
    {
        var e = Encode("{'text': 'text_a'}{'sep': None, 'token_type': 1}{'text': 'text_b'}之间的关系是什么？{'mask'}");
        Assert.Equal(new[] { 0, 0, 0, 0, 0 }.Concat(Enumerable.Repeat(1, 14)).Append(0), e.TokenTypeIds);
        Assert.Equal("[CLS]天气晴朗[SEP]下雪了之间的关系是什么？[MASK][SEP]", Decode(ErnieVocab, e.InputIds));
    }

    [Theory]   // test_soft_template / test_auto_template
    [InlineData("{'soft'}{'text': 'text_a'}{'sep'}{'text': 'text_b'}{'mask'}", "[CLS][CLS]天气晴朗[SEP]下雪了[MASK][SEP]", new[] { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData("{'text': 'text_a'}{'soft': '请判断', 'length': 5}{'mask'}", "[CLS]天气晴朗[CLS][SEP][MASK]，的[MASK][SEP]", new[] { 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0 })]
    [InlineData("{'text': 'text_a'}{'soft': '天气', 'encoder': 'lstm', 'hidden_size': 32}{'soft': None, 'length': 2, 'encoder': 'mlp'}{'mask'}",
        "[CLS]天气晴朗[CLS][SEP][MASK]，[MASK][SEP]", new[] { 0, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0 })]
    public void SoftTemplateGoldensPutSoftIdsAsPlaceholderTokens(string template, string expectedTokens, int[] expectedSoftIds)
    {
        var e = Encode(template);
        Assert.Equal(expectedTokens, Decode(ErnieVocab, e.InputIds));
        Assert.Equal(expectedSoftIds, e.SoftTokenIds);
        // A soft slot that happens to hold the [MASK] id (soft id 3) is not a mask position.
        Assert.Single(e.MaskPositions);
        Assert.Equal(e.Length - 2, e.MaskPositions[0]);
    }

    [Fact]
    public void SharedSoftIdRepeatsTheSameSlots()
    {
        var e = Encode("{'soft': None, 'length': 2, 'soft_id': 7}{'text': 'text_a'}{'soft_id': 7}{'soft'}{'mask'}");
        Assert.Equal(new[] { 0, 1, 2, 0, 0, 0, 0, 1, 2, 3, 0, 0 }, e.SoftTokenIds);
        Assert.Equal(3, new PromptEncoder(Template.Parse("{'soft': None, 'length': 2, 'soft_id': 7}{'text': 'text_a'}{'soft_id': 7}{'soft'}{'mask'}"), ErnieVocab, 20).SoftTokenCount);
    }

    [Fact]
    public void TruncationCutsOnlyTruncatablePartsAndSharesTheBudget()
    {
        const string template = "{'text': 'text_a'}{'sep'}{'text': 'text_b'}这两句话的关系是{'mask'}";   // fixed: [CLS] [SEP] 8 prompt 1 mask [SEP] = 12
        string longA = new string('甲', 100), longB = new string('乙', 100);
        // Both long: budget 32 - 12 = 20 -> 10 each.
        var e = Encode(template, 32, longA, longB);
        Assert.Equal(32, e.Length);
        Assert.True(e.Truncated);
        Assert.Equal(90 + 90, e.DroppedTokens);
        Assert.Equal("[CLS]" + new string('甲', 10) + "[SEP]" + new string('乙', 10) + "这两句话的关系是[MASK][SEP]", Decode(ErnieVocab, e.InputIds));
        // One short: it stays whole, the other gets the rest (20 - 3 = 17).
        e = Encode(template, 32, longA, "下雪了");
        Assert.Equal(100 - 17, e.DroppedTokens);
        Assert.Equal("[CLS]" + new string('甲', 17) + "[SEP]下雪了这两句话的关系是[MASK][SEP]", Decode(ErnieVocab, e.InputIds));
        // Odd budget: 21 / 2 = 10 each, one token stays unused (PaddleNLP's integer division).
        e = Encode(template, 33, longA, longB);
        Assert.Equal(32, e.Length);
        // Fits: nothing is cut.
        e = Encode(template, 32, "天气", "下雪");
        Assert.False(e.Truncated);
        Assert.Equal(0, e.DroppedTokens);
        Assert.Equal(16, e.Length);
        Assert.Equal(new[] { 14 }, e.MaskPositions);
    }

    [Fact]
    public void LeftTruncationKeepsTheEnd()
    {
        var encoder = new PromptEncoder(Template.Parse("{'text': 'text_a'}{'mask'}"), ErnieVocab, 6, TruncationSide.Left);
        Assert.Equal("[CLS]四五六[MASK][SEP]", Decode(ErnieVocab, encoder.Encode("一二三四五六").InputIds));
    }

    [Fact]
    public void TruncationRuleMatchesPaddleNlp()
    {
        // _create_max_lengths_from_do_truncate on part lengths.
        Assert.Equal(new[] { 3, 5 }, PromptTruncation.MaxLengths(new[] { 3, 5 }, new[] { true, true }, 10));
        Assert.Equal(new[] { 5, 5 }, PromptTruncation.MaxLengths(new[] { 9, 9 }, new[] { true, true }, 10));
        Assert.Equal(new[] { 2, 3, 5 }, PromptTruncation.MaxLengths(new[] { 2, 3, 9 }, new[] { true, false, true }, 10));
        Assert.Equal(new[] { 4, 4, 4, 13 }, PromptTruncation.MaxLengths(new[] { 40, 4, 40, 13 }, new[] { true, true, true, false }, 25));
        Assert.Equal(new[] { 2, 1, 2 }, PromptTruncation.MaxLengths(new[] { 30, 1, 30 }, new[] { true, true, true }, 6));
    }

    [Fact]
    public void MasksAreAtTheRightPositions()
    {
        var e = Encode("新闻：{'text': 'text_a'}这条新闻写的是{'mask'}{'mask'}。", 64, "油价上涨");
        Assert.Equal("[CLS]新闻：油价上涨这条新闻写的是[MASK][MASK]。[SEP]", Decode(ErnieVocab, e.InputIds));
        Assert.Equal(new[] { 15, 16 }, e.MaskPositions);
        Assert.Equal(Enumerable.Range(0, e.Length - 1).Append(0), e.PositionIds);
    }

    [Fact]
    public void EmptyTextGivesOnlyThePrompt()
    {
        var e = Encode("{'text': 'text_a'}说明天气{'mask'}好。", 20, "");
        Assert.Equal("[CLS]说明天气[MASK]好。[SEP]", Decode(ErnieVocab, e.InputIds));
        Assert.Equal(new[] { 5 }, e.MaskPositions);
    }

    [Fact]
    public void HugeTextIsTruncatedAfterTokenizingOnlyAWindow()
    {
        var encoder = new PromptEncoder(Template.Parse("{'text': 'text_a'}这条新闻写的是{'mask'}{'mask'}"), ErnieVocab, 128);
        var huge = string.Concat(Enumerable.Repeat("今天天气很好，我们去公园散步。 Hello world! ", 4000));   // ~105k characters
        Assert.True(huge.Length > 100_000);
        var e = encoder.Encode(huge);
        Assert.Equal(128, e.Length);
        Assert.True(e.Truncated);
        Assert.StartsWith("[CLS]今天天气很好，我们去公园散步。hello", Decode(ErnieVocab, e.InputIds));
        Assert.Equal(new[] { 125, 126 }, e.MaskPositions);
        // The encoder's text tokens come from a window of the text: at most 4 × 128 + 1024 characters plus the search for a
        // word boundary (512), under 2% of the text, for the head and for the tail.
        foreach (bool fromEnd in new[] { false, true })
        {
            var window = TextWindow.Tokenize(ErnieVocab, huge, 128, fromEnd, out long read);
            Assert.InRange(read, 128, 4 * 128 + 1024 + 512);
            Assert.True(window.Count >= 128);
            if (!fromEnd) Assert.Equal(window.Take(117), e.InputIds.Skip(1).Take(117));
        }
        var full = ErnieVocab.Tokenize(huge);
        Assert.Equal(full.Take(117), e.InputIds.Skip(1).Take(117));
        // A huge text without spaces or CJK characters is one word: tokenized whole, it is a single [UNK] as in BERT's WordPiece.
        var word = encoder.Encode(new string('x', 100_000));
        Assert.Equal(ErnieVocab.UnknownId, word.InputIds[1]);
        Assert.Equal(12, word.Length);
        TextWindow.Tokenize(ErnieVocab, new string('x', 100_000), 128, fromEnd: false, out long readWord);
        Assert.Equal(100_000, readWord);   // no word boundary to cut at
        var tail = new PromptEncoder(encoder.Template, ErnieVocab, 128, TruncationSide.Left).Encode(huge);
        Assert.Equal(full.Skip(full.Count - 117), tail.InputIds.Skip(1).Take(117));
    }

    [Fact]
    public void UserTextCannotInjectMasksOrPadding()
    {
        var e = Encode("{'text': 'text_a'}说明天气{'mask'}好。", 30, "天气[MASK]好[PAD]");
        Assert.Equal("[CLS]天气[UNK]好[UNK]说明天气[MASK]好。[SEP]", Decode(ErnieVocab, e.InputIds));
        Assert.Equal(new[] { 10 }, e.MaskPositions);
        Assert.Single(e.InputIds, id => id == ErnieVocab.MaskId);
    }

    [Fact]
    public void MissingTextsAndImpossibleLengthsAreClearErrors()
    {
        var encoder = new PromptEncoder(Template.Parse("{'text': 'text_a'}{'sep'}{'text': 'text_b'}{'mask'}"), ErnieVocab, 20);
        var e = Assert.Throws<ArgumentNullException>(() => encoder.Encode("a"));
        Assert.Contains("text_b", e.Message);
        var tooShort = Assert.Throws<ArgumentException>(() => new PromptEncoder(Template.Parse("{'text': 'text_a'}这是一个很长的提示{'mask'}"), ErnieVocab, 8));
        Assert.Contains("needs 12 tokens without any text", tooShort.Message);
        var fixedText = new PromptEncoder(Template.Parse("{'text': 'text_a', 'truncate': False}{'mask'}"), ErnieVocab, 8);
        var overflow = Assert.Throws<ArgumentException>(() => fixedText.Encode("一二三四五六七八九十"));
        Assert.Contains("text_a (10 tokens)", overflow.Message);
        Assert.Equal(8, fixedText.Encode("一二三四五").Length);
    }

    [Fact]
    public void AddSpaceDoesNotChangeChineseTokens()
    {
        Assert.Equal(Encode("{'text': 'text_a'}说明{'mask'}").InputIds, Encode("{'text': 'text_a'} 说明 {'mask'}").InputIds);
    }
}
