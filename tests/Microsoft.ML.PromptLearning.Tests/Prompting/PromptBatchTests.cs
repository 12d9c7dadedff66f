using Microsoft.ML.PromptLearning.Prompting;
using TorchSharp;
using TorchSharp.Modules;
using static Microsoft.ML.PromptLearning.Tests.Prompting.TinyPlm;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.Prompting;

public class PromptBatchTests
{
    [Fact]
    public void CollatePadsDynamicallyAndGathersMaskStates()
    {
        using var scope = NewDisposeScope();
        var encoder = new PromptEncoder(Template.Parse("{'text': 'text_a'}这是{'mask'}{'mask'}新闻"), Tokenizer, 32);
        var a = encoder.Encode("天气晴朗");
        var b = encoder.Encode("下雪");
        var batch = PromptBatch.Collate([a, b], Tokenizer.PadId);
        Assert.Equal(new long[] { 2, a.Length }, batch.InputIds.shape);
        Assert.Equal(new long[] { 7, 8, 5, 6 }, batch.MaskPositions.data<long>().ToArray());
        Assert.Equal(Tokenizer.PadId, batch.InputIds[1, ^1].item<long>());
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, batch.AttentionMask[1].data<long>().ToArray());
        Assert.False(batch.HasSoftTokens);

        var hidden = arange(2 * a.Length * 3, dtype: float32).view(2, a.Length, 3);
        var gathered = batch.GatherMaskHidden(hidden);
        Assert.Equal(new long[] { 2, 2, 3 }, gathered.shape);
        Assert.True(allclose(gathered[1, 0], hidden[1, 5], 0, 0));
        Assert.Throws<ArgumentException>(() => PromptBatch.Collate([a, new PromptEncoder(Template.Parse("{'text': 'text_a'}{'mask'}"), Tokenizer, 32).Encode("x")], 0));
    }

    [Fact]
    public void PaddedRowsScoreLikeSingleRows()
    {
        using var scope = NewDisposeScope();
        var model = NewModel();
        var template = Template.Parse("{'soft': '请判断', 'encoder': 'lstm'}{'text': 'text_a'}这是{'mask'}");
        var encoder = new PromptEncoder(template, Tokenizer, 32);
        var soft = new SoftPromptEmbedding(template, Tokenizer, model);
        var verbalizer = new SoftVerbalizer(LabelWords.FromDictionary(new Dictionary<string, string[]> { ["好"] = ["好"], ["坏"] = ["坏"] }), model, Tokenizer);
        soft.eval();
        var longOne = encoder.Encode("天气晴朗，下雪了");
        var shortOne = encoder.Encode("下雪");
        var both = verbalizer.LabelLogits(PromptBatch.Collate([longOne, shortOne], Tokenizer.PadId).EncodeMasks(model, soft));
        var alone = verbalizer.LabelLogits(PromptBatch.Collate([shortOne], Tokenizer.PadId).EncodeMasks(model, soft));
        Assert.True(allclose(both[1], alone[0], 1e-5, 1e-5));
        var noSoft = Assert.Throws<ArgumentNullException>(() => PromptBatch.Collate([shortOne], Tokenizer.PadId).EncodeMasks(model));
        Assert.Contains("SoftPromptEmbedding", noSoft.Message);
    }

    [Fact]
    public void AFewStepsOfPromptTuningFitTwoExamples()
    {
        // A random tiny model barely tells the two texts apart at first (near-uniform attention), so the PLM needs a high rate here.
        // The whole path: encode -> collate -> soft prompt -> ERNIE -> soft verbalizer -> loss -> AdamW with two parameter groups.
        using var scope = NewDisposeScope();
        var model = NewModel(3);
        model.train();
        var template = Template.FromPrompt("{'soft': None, 'length': 2}{'text': 'text_a'}这是{'mask'}新闻");
        var encoder = new PromptEncoder(template, Tokenizer, 32);
        var soft = new SoftPromptEmbedding(template, Tokenizer, model);
        var verbalizer = new SoftVerbalizer(LabelWords.FromDictionary(new Dictionary<string, string[]> { ["car"] = ["汽车"], ["finance"] = ["财经"] }), model, Tokenizer);
        verbalizer.Validate(template);
        var batch = PromptBatch.Collate([encoder.Encode("汽车"), encoder.Encode("财经")], Tokenizer.PadId);
        var labels = tensor(new long[] { 0, 1 });
        var optimizer = optim.AdamW(new[]
        {
            new AdamW.ParamGroup(model.parameters(), new AdamW.Options { LearningRate = 1e-2 }),
            new AdamW.ParamGroup(soft.parameters().Concat(verbalizer.HeadParameters()), new AdamW.Options { LearningRate = 3e-2 }),
        });
        float first = 0, last = 0;
        for (int step = 0; step < 30; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = verbalizer.Loss(batch.EncodeMasks(model, soft), labels);
            loss.backward();
            optimizer.step();
            if (step == 0) first = loss.item<float>();
            last = loss.item<float>();
        }
        Assert.True(last < first * 0.5f, $"loss {first} -> {last}");
    }
}
