using Microsoft.ML.PromptLearning.Ernie;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.Ernie;

public class ErnieModelTests
{
    internal static ErnieConfig TinyConfig(bool useTaskId = true) => new()
    {
        VocabSize = 50, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 64,
        MaxPositionEmbeddings = 40, TypeVocabSize = 2, TaskTypeVocabSize = 3, UseTaskId = useTaskId,
    };

    private static Tensor Ids(params long[][] rows) => tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, rows[0].Length });

    [Fact]
    public void ShapesOfEveryOutput()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var model = new ErnieForMaskedLM(TinyConfig());
        model.eval();
        var ids = Ids(new long[] { 1, 5, 6, 7, 2 }, new long[] { 1, 8, 9, 2, 0 });
        var output = model.Encode(new ErnieInputs { InputIds = ids });
        Assert.Equal(new long[] { 2, 5, 32 }, output.LastHiddenState.shape);
        Assert.Equal(new long[] { 2, 32 }, output.PooledOutput.shape);
        Assert.Equal(3, output.HiddenStates.Count);
        Assert.Equal(new long[] { 2, 5, 50 }, model.forward(new ErnieInputs { InputIds = ids }).shape);
        var at = model.PredictAt(output.LastHiddenState, tensor(new long[] { 1, 7 }));
        Assert.Equal(new long[] { 2, 50 }, at.shape);
        Assert.True(allclose(at[1], model.forward(new ErnieInputs { InputIds = ids })[1, 2], 1e-5, 1e-5));
    }

    [Fact]
    public void OutputPositionsGiveTheGatheredRowsOfTheFullOutput()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var model = new ErnieForMaskedLM(TinyConfig());
        model.eval();
        var ids = Ids(new long[] { 1, 5, 6, 7, 10, 2 }, new long[] { 1, 8, 9, 2, 0, 0 });
        var mask = Ids(new long[] { 1, 1, 1, 1, 1, 1 }, new long[] { 1, 1, 1, 1, 0, 0 });
        var positions = Ids(new long[] { 4, 1 }, new long[] { 2, 0 });
        var full = model.Encode(new ErnieInputs { InputIds = ids, AttentionMask = mask });
        var rows = model.Encode(new ErnieInputs { InputIds = ids, AttentionMask = mask, OutputPositions = positions });
        Assert.Equal(new long[] { 2, 2, 32 }, rows.LastHiddenState.shape);
        var expected = full.LastHiddenState.gather(1, positions.unsqueeze(-1).expand(-1, -1, 32));
        Assert.True((rows.LastHiddenState - expected).abs().max().item<float>() < 1e-6f);
        Assert.Equal(new long[] { 2, 32 }, rows.PooledOutput.shape);   // pooled from the first requested row (position 4, position 2)
        Assert.True((rows.HiddenStates[1] - full.HiddenStates[1]).abs().max().item<float>() == 0f);   // earlier layers are untouched

        var cls = model.Encode(new ErnieInputs { InputIds = ids, AttentionMask = mask, OutputPositions = zeros(2, 1, dtype: int64) });
        Assert.True((cls.PooledOutput - full.PooledOutput).abs().max().item<float>() < 1e-6f);

        model.train();   // gradients reach the embeddings through the pruned last layer
        var trained = model.Encode(new ErnieInputs { InputIds = ids, AttentionMask = mask, OutputPositions = positions }).LastHiddenState;
        var loss = (trained * randn(trained.shape)).sum();   // a plain sum of LayerNorm outputs would be constant
        loss.backward();
        Assert.True(model.Ernie.Embeddings.WordEmbeddingWeight.grad.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void EvalModeIsDeterministicAndTrainModeAppliesDropout()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var model = new ErnieForMaskedLM(TinyConfig());
        var ids = Ids(new long[] { 1, 5, 6, 7, 2 });
        model.eval();
        var a = model.forward(new ErnieInputs { InputIds = ids });
        var b = model.forward(new ErnieInputs { InputIds = ids });
        Assert.Equal(0.0, (a - b).abs().max().item<float>());
        model.train();
        var c = model.forward(new ErnieInputs { InputIds = ids });
        Assert.True((a - c).abs().max().item<float>() > 1e-4);
    }

    [Fact]
    public void PaddedBatchEqualsUnpaddedRows()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var model = new ErnieForMaskedLM(TinyConfig());
        model.eval();
        var shortRow = new long[] { 1, 8, 9, 2 };
        var alone = model.forward(new ErnieInputs { InputIds = Ids(shortRow) });
        var batch = Ids(new long[] { 1, 5, 6, 7, 10, 2 }, new long[] { 1, 8, 9, 2, 0, 0 });
        var mask = Ids(new long[] { 1, 1, 1, 1, 1, 1 }, new long[] { 1, 1, 1, 1, 0, 0 });
        var padded = model.forward(new ErnieInputs { InputIds = batch, AttentionMask = mask });
        Assert.True((padded[1].narrow(0, 0, 4) - alone[0]).abs().max().item<float>() < 1e-5);
        // without the mask the padding leaks into the real tokens
        var leaky = model.forward(new ErnieInputs { InputIds = batch });
        Assert.True((leaky[1].narrow(0, 0, 4) - alone[0]).abs().max().item<float>() > 1e-4);
    }

    [Theory]
    [InlineData("position")]
    [InlineData("token_type")]
    [InlineData("task_type")]
    public void EachIdKindChangesTheOutput(string kind)
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var model = new ErnieForMaskedLM(TinyConfig());
        model.eval();
        var ids = Ids(new long[] { 1, 5, 6, 7, 2 });
        var ones = ones_like(ids);
        var baseline = model.forward(new ErnieInputs { InputIds = ids });
        var changed = kind switch
        {
            "position" => model.forward(new ErnieInputs { InputIds = ids, PositionIds = arange(5, dtype: int64).unsqueeze(0) + 3 }),
            "token_type" => model.forward(new ErnieInputs { InputIds = ids, TokenTypeIds = ones }),
            _ => model.forward(new ErnieInputs { InputIds = ids, TaskTypeIds = ones }),
        };
        Assert.True((baseline - changed).abs().max().item<float>() > 1e-3);
        // and the explicit defaults equal the implicit ones
        var explicitDefaults = model.forward(new ErnieInputs
        {
            InputIds = ids, PositionIds = arange(5, dtype: int64).unsqueeze(0), TokenTypeIds = zeros_like(ids), TaskTypeIds = zeros_like(ids),
        });
        Assert.Equal(0.0, (baseline - explicitDefaults).abs().max().item<float>());
    }

    [Fact]
    public void InputsEmbedsEqualLookedUpWordEmbeddings()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var model = new ErnieForMaskedLM(TinyConfig());
        model.eval();
        var ids = Ids(new long[] { 1, 5, 6, 7, 2 });
        var viaIds = model.forward(new ErnieInputs { InputIds = ids });
        var viaEmbeds = model.forward(new ErnieInputs { InputsEmbeds = model.Ernie.Embeddings.EmbedWords(ids) });
        Assert.Equal(0.0, (viaIds - viaEmbeds).abs().max().item<float>());
    }

    [Fact]
    public void DecoderIsTiedToWordEmbeddingsUnlessUntied()
    {
        var tied = new ErnieForMaskedLM(TinyConfig());
        Assert.DoesNotContain(tied.named_parameters(), p => p.name == "cls.predictions.decoder.weight");
        using (no_grad()) tied.Ernie.Embeddings.WordEmbeddingWeight[3, 0] = tensor(7.0f);
        Assert.Equal(7.0f, tied.Head.DecoderWeight[3, 0].item<float>());
        var cfg = TinyConfig();
        cfg.TieWordEmbeddings = false;
        var untied = new ErnieForMaskedLM(cfg);
        Assert.Contains(untied.named_parameters(), p => p.name == "cls.predictions.decoder.weight");
    }

    [Fact]
    public void InvalidConfigIsRejectedWithReason()
    {
        var cfg = TinyConfig();
        cfg.NumAttentionHeads = 5;
        var e = Assert.Throws<InvalidDataException>(() => new ErnieForMaskedLM(cfg));
        Assert.Contains("num_attention_heads", e.Message);
    }
}
