using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.Prompting;
using Microsoft.ML.PromptLearning.Tests.Prompting;

namespace Microsoft.ML.PromptLearning.Tests.Inference;

public class InputEncoderTests
{
    [Fact]
    public void TextPairEncoderGivesTheTokenizersPairEncodingWithLabelAndTruncation()
    {
        var tokenizer = TinyPlm.Tokenizer;
        var encoder = new TextPairInputEncoder(tokenizer, maxLength: 8);
        var e = encoder.Encode(new TextRow("这是汽车新闻", "很好", 2));
        // [CLS] 这 是 汽 车 新 闻 [SEP] 很 好 [SEP] = 11 tokens, cut longest-first to 8: the first text loses 3
        var expected = tokenizer.Encode("这是汽车新闻", "很好", 8);
        Assert.Equal(expected.InputIds, e.InputIds);
        Assert.Equal(expected.TokenTypeIds, e.TokenTypeIds);
        Assert.Equal(8, e.Length);
        Assert.Equal(3, e.DroppedTokens);
        Assert.Equal(2, e.Label);
        Assert.Null(e.PositionIds);
        Assert.Empty(e.MaskPositions);
        Assert.Equal("text-pair", encoder.Name);
        Assert.Equal(-1, encoder.Encode(null, null).Label);
        Assert.Equal(new[] { tokenizer.ClsId, tokenizer.SepId }, encoder.Encode(null, null).InputIds);
    }

    [Fact]
    public void PromptEncoderKeepsTheTemplatesMaskSlotsPositionsAndSoftTokens()
    {
        var template = Template.Parse("{'soft'}{'text':'text_a'}说明{'mask'}{'mask'}");
        var prompt = new PromptEncoder(template, TinyPlm.Tokenizer, 16);
        var encoder = new PromptInputEncoder(prompt);
        var e = encoder.Encode("天气晴朗", null, label: 1);
        var expected = prompt.Encode("天气晴朗", null);
        Assert.Equal(expected.InputIds, e.InputIds);
        Assert.Equal(expected.TokenTypeIds, e.TokenTypeIds);
        Assert.Equal(expected.PositionIds, e.PositionIds);
        Assert.Equal(expected.MaskPositions, e.MaskPositions);
        Assert.Equal(expected.SoftTokenIds, e.SoftTokenIds);
        Assert.Equal(2, e.MaskPositions.Length);
        Assert.All(e.MaskPositions, p => Assert.Equal(TinyPlm.Tokenizer.MaskId, e.InputIds[p]));
        Assert.Equal(1, e.Label);
        Assert.Equal("prompt", encoder.Name);
        Assert.Same(template, encoder.Template);
    }

    [Fact]
    public void ScoringInBatchesReturnsRowsInInputOrder()
    {
        var examples = new[] { 5, 1, 4, 2, 3 }.Select(n => new EncodedExample { InputIds = new int[n], TokenTypeIds = new int[n] }).ToList();
        var batchSizes = new List<int>();
        var rows = LengthBuckets.ScoreInBatches(examples, 2, batch =>
        {
            batchSizes.Add(batch.Count);
            return batch.Select(e => new[] { (float)e.Length }).ToArray();
        });
        Assert.Equal(new[] { 5f, 1f, 4f, 2f, 3f }, rows.Select(r => r[0]));
        Assert.Equal(new[] { 2, 2, 1 }, batchSizes);
    }
}
