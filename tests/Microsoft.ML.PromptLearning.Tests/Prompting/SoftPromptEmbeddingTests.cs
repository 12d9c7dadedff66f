using Microsoft.ML.PromptLearning.Prompting;
using static Microsoft.ML.PromptLearning.Tests.Prompting.TinyPlm;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.Prompting;

public class SoftPromptEmbeddingTests
{
    [Fact]   // PaddleNLP test_soft_initialization
    public void InitTextVectorsAreTheWordEmbeddingsOfItsTokens()
    {
        using var scope = NewDisposeScope();
        var model = NewModel();
        var soft = new SoftPromptEmbedding(Template.Parse("{'text': 'text_a'}{'soft': '分类', 'length': 4}{'mask'}"), Tokenizer, model);
        Assert.Equal(4, soft.Count);
        var words = model.Ernie.Embeddings.WordEmbeddingWeight;
        Assert.True(allclose(soft.Vectors[0], words[Id("分")], 0, 0));
        Assert.True(allclose(soft.Vectors[1], words[Id("类")], 0, 0));
        // The two extra vectors are random, on the scale of the word embeddings.
        Assert.False(allclose(soft.Vectors[2], soft.Vectors[3]));
        Assert.InRange(soft.Vectors[2..].std().item<float>(), 0.2f * words.std().item<float>(), 5f * words.std().item<float>());
        Assert.Equal(new[] { "soft_embeddings" }, soft.named_parameters().Select(p => p.name));
    }

    [Fact]
    public void EmbedReplacesOnlySoftPositionsAndSharedIdsGetOneVector()
    {
        using var scope = NewDisposeScope();
        var model = NewModel();
        var template = Template.Parse("{'soft': None, 'length': 2, 'soft_id': 1}{'text': 'text_a'}{'soft_id': 1}{'mask'}");
        var encoding = new PromptEncoder(template, Tokenizer, 32).Encode("天气晴朗");
        Assert.Equal(new[] { 0, 1, 2, 0, 0, 0, 0, 1, 2, 0, 0 }, encoding.SoftTokenIds);
        var soft = new SoftPromptEmbedding(template, Tokenizer, model);
        Assert.Equal(2, soft.Count);

        var batch = PromptBatch.Collate([encoding], Tokenizer.PadId);
        var words = model.Ernie.Embeddings.EmbedWords(batch.InputIds).detach().requires_grad_(true);
        var embeds = soft.Embed(words, batch.SoftTokenIds);
        for (int t = 0; t < encoding.Length; t++)
        {
            int id = encoding.SoftTokenIds[t];
            var expected = id == 0 ? words[0, t] : soft.Vectors[id - 1];
            Assert.True(allclose(embeds[0, t], expected, 0, 0), $"position {t}");
        }
        Assert.True(allclose(embeds[0, 1], embeds[0, 7], 0, 0));   // shared soft_id: identical vectors
        Assert.True(allclose(embeds[0, 2], embeds[0, 8], 0, 0));

        // Gradients: soft vectors get them; word embeddings only where they were kept.
        (embeds * arange(1, 1 + embeds.numel(), dtype: float32).view(embeds.shape)).sum().backward();
        Assert.True(soft.Vectors.grad.abs().min().item<float>() > 0);
        var wordGrad = words.grad;
        for (int t = 0; t < encoding.Length; t++)
            Assert.Equal(encoding.SoftTokenIds[t] == 0, wordGrad[0, t].abs().sum().item<float>() > 0);
    }

    [Fact]   // PaddleNLP test_soft_encoder: an LSTM part and an MLP part
    public void EncodersReparameterizeTheVectorsAndTrain()
    {
        using var scope = NewDisposeScope();
        var model = NewModel();
        var template = Template.Parse("{'text': 'text_a'}{'soft': '天气', 'encoder': 'lstm', 'hidden_size': 6}{'soft': None, 'length': 2, 'encoder': 'mlp'}{'soft'}{'mask'}");
        var soft = new SoftPromptEmbedding(template, Tokenizer, model);
        Assert.Equal(5, soft.Count);
        var names = soft.named_parameters().Select(p => p.name).ToList();
        Assert.Contains("lstm_encoder.lstm.weight_ih_l0", names);
        Assert.Contains("lstm_encoder.lstm.weight_hh_l1_reverse", names);
        Assert.Contains("lstm_encoder.mlp.0.weight", names);
        Assert.Contains("mlp_encoder.mlp.2.bias", names);
        var lstmIn = soft.named_parameters().Single(p => p.name == "lstm_encoder.lstm.weight_ih_l0").parameter;
        Assert.Equal(new long[] { 4 * 6, 8 }, lstmIn.shape);

        var encoded = soft.EncodeConstants();
        Assert.Equal(new long[] { 5, 8 }, encoded.shape);
        Assert.False(allclose(encoded[..4], soft.Vectors[..4]));
        Assert.True(allclose(encoded[4], soft.Vectors[4], 0, 0));      // the last part has no encoder
        encoded.pow(2).sum().backward();
        Assert.All(soft.parameters(), p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
    }

    [Fact]
    public void StateRoundTripsAndBadInputsAreRejected()
    {
        using var scope = NewDisposeScope();
        var model = NewModel();
        var template = Template.Parse("{'soft': '请判断', 'encoder': 'mlp'}{'text': 'text_a'}{'mask'}");
        var soft = new SoftPromptEmbedding(template, Tokenizer, model);
        using (no_grad()) soft.Vectors.add_(1);
        using var stream = new MemoryStream();
        soft.SaveState(stream);
        stream.Position = 0;
        manual_seed(99);
        var other = new SoftPromptEmbedding(template, Tokenizer, model);
        other.LoadState(stream);
        Assert.True(allclose(soft.EncodeConstants(), other.EncodeConstants(), 0, 0));

        Assert.Throws<ArgumentException>(() => new SoftPromptEmbedding(Template.Parse("{'text': 'text_a'}{'mask'}"), Tokenizer, model));
        Assert.Throws<ArgumentOutOfRangeException>(() => soft.Embed(zeros(1, 2, 8), tensor(new long[] { 0, 4 }).view(1, 2)));
        Assert.Throws<ArgumentException>(() => soft.Embed(zeros(1, 2, 8), tensor(new[] { 0, 1 }).view(1, 2)));
        Assert.Throws<ArgumentException>(() => soft.Embed(zeros(1, 2, 7), tensor(new long[] { 0, 1 }).view(1, 2)));
    }
}
