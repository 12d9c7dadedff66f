using System.Text.Json.Nodes;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Prompting;
using static Microsoft.ML.PromptLearning.Tests.Prompting.TinyPlm;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.Prompting;

/// <summary>Verbalizer scores checked against explicit arithmetic over the tiny model's transformed hidden states, decoder rows and bias.</summary>
public class VerbalizerTests
{
    private const int H = 8;

    private static LabelWords Words(params (string Label, string[] Words)[] items) => LabelWords.FromDictionary(items.ToDictionary(x => x.Label, x => x.Words));

    /// <summary>Hand-computed MLM logit of vocabulary entry <paramref name="v"/> for row <paramref name="row"/> of the transformed states.</summary>
    private static double Logit(float[] transformed, int row, float[] decoder, float[] bias, int v)
    {
        double sum = bias[v];
        for (int k = 0; k < H; k++) sum += transformed[row * H + k] * decoder[v * H + k];
        return sum;
    }

    private static (float[] T, float[] E, float[] Bias) Parts(ErnieForMaskedLM model, Tensor maskHidden) =>
        (Floats(model.Head.Transform.forward(maskHidden)), Floats(model.Head.DecoderWeight), Floats(model.Head.Bias));

    [Fact]
    public void ManualVerbalizerFollowsPaddleNlpPipeline()
    {
        using var scope = NewDisposeScope();
        var model = NewModel();
        var verbalizer = new ManualVerbalizer(Words(("正向", ["好", "很好"]), ("负向", ["坏"])), model, Tokenizer);
        manual_seed(1);
        var h = randn(2, 2, H);                                                                   // B = 2, M = 2
        var scores = Floats(verbalizer.LabelLogits(h));
        var (t, e, bias) = Parts(model, h);
        for (int b = 0; b < 2; b++)
        {
            double pos = 0, neg = 0;
            for (int m = 0; m < 2; m++)
            {
                int row = b * 2 + m;
                double hao = Logit(t, row, e, bias, Id("好")), henhao = (Logit(t, row, e, bias, Id("很")) + hao) / 2, huai = Logit(t, row, e, bias, Id("坏"));
                double lse = Math.Log(Math.Exp(hao) + Math.Exp(henhao) + Math.Exp(huai));   // softmax over all label words
                pos += ((hao - lse) + (henhao - lse)) / 2;                                     // mean of the label's word log-probs
                neg += huai - lse;                                                               // masks: product of probabilities = sum of logs
            }
            Assert.Equal(pos, scores[b * 2], 1e-4);
            Assert.Equal(neg, scores[b * 2 + 1], 1e-4);
        }
        Assert.Null(verbalizer.RequiredMaskCount);
        Assert.Empty(verbalizer.HeadParameters());
        Assert.Empty(verbalizer.parameters());
    }

    [Fact]
    public void ManualVerbalizerWithoutPostLogSoftmaxAveragesLogits()
    {
        using var scope = NewDisposeScope();
        var model = NewModel();
        var verbalizer = new ManualVerbalizer(Words(("a", ["好"]), ("b", ["坏", "差评"])), model, Tokenizer,
            wordAggregation: Aggregation.Max, maskAggregation: MaskAggregation.First, postLogSoftmax: false);
        var h = randn(1, 2, H);
        var (t, e, bias) = Parts(model, h);
        var scores = Floats(verbalizer.LabelLogits(h));
        Assert.Equal(Logit(t, 0, e, bias, Id("好")), scores[0], 1e-4);
        Assert.Equal(Math.Max(Logit(t, 0, e, bias, Id("坏")), (Logit(t, 0, e, bias, Id("差")) + Logit(t, 0, e, bias, Id("评"))) / 2), scores[1], 1e-4);
    }

    [Fact]
    public void ManualVerbalizerEqualsFullVocabularyProjection()
    {
        using var scope = NewDisposeScope();
        var model = NewModel();
        var verbalizer = new ManualVerbalizer(Words(("a", ["好评"]), ("b", ["差评", "坏"])), model, Tokenizer);
        var h = randn(3, 1, H);
        var full = model.Head.forward(h);                                                         // [B, 1, V]
        var a = (full[.., .., Id("好")] + full[.., .., Id("评")]) / 2;
        var b1 = (full[.., .., Id("差")] + full[.., .., Id("评")]) / 2;
        var b2 = full[.., .., Id("坏")];
        var logp = stack(new Tensor[] { a, b1, b2 }, -1).log_softmax(-1).squeeze(1);                    // [B, 3]
        var expected = stack(new Tensor[] { logp[.., 0], (logp[.., 1] + logp[.., 2]) / 2 }, -1);
        Assert.True(allclose(verbalizer.LabelLogits(h), expected, 1e-5, 1e-5));
        var loss = verbalizer.Loss(h, tensor(new long[] { 0, 1, 1 }));
        Assert.Equal(nn.functional.cross_entropy(expected, tensor(new long[] { 0, 1, 1 })).item<float>(), loss.item<float>(), 1e-5);
    }

    [Fact]
    public void SoftVerbalizerStartsFromLabelWordRowsAndTrainsOnlyItsHead()
    {
        using var scope = NewDisposeScope();
        var model = NewModel();
        var verbalizer = new SoftVerbalizer(Words(("a", ["很好", "好"]), ("b", ["坏"])), model, Tokenizer);
        var e = Floats(model.Head.DecoderWeight);
        var w = Floats(verbalizer.Decoder.weight);
        for (int k = 0; k < H; k++)
        {
            Assert.Equal((e[Id("很") * H + k] + e[Id("好") * H + k]) / 2, w[k], 1e-5);           // first word only, tokens averaged
            Assert.Equal(e[Id("坏") * H + k], w[H + k], 1e-5);
        }
        Assert.All(Floats(verbalizer.Decoder.bias), x => Assert.Equal(0f, x));
        Assert.Equal(2, verbalizer.HeadParameters().Count());
        Assert.Equal(4, model.Head.Transform.parameters().Count());                               // transform dense + LayerNorm, trained with the PLM
        Assert.Equal(new[] { "decoder.weight", "decoder.bias" }, verbalizer.named_parameters().Select(p => p.name));

        // Scores: transform -> new linear; several masks are averaged.
        using (no_grad()) verbalizer.Decoder.bias.copy_(tensor(new float[] { 0.5f, -0.25f }));
        var h = randn(2, 3, H);
        var t = Floats(model.Head.Transform.forward(h));
        w = Floats(verbalizer.Decoder.weight);
        var scores = Floats(verbalizer.LabelLogits(h));
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 2; c++)
            {
                double sum = 0;
                for (int m = 0; m < 3; m++)
                {
                    sum += c == 0 ? 0.5 : -0.25;
                    for (int k = 0; k < H; k++) sum += t[(b * 3 + m) * H + k] * w[c * H + k];
                }
                Assert.Equal(sum / 3, scores[b * 2 + c], 1e-4);
            }

        // Gradients reach the new head and the PLM's transform.
        model.zero_grad();
        verbalizer.Loss(h, tensor(new long[] { 1, 0 })).backward();
        Assert.All(verbalizer.HeadParameters(), p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
        Assert.All(model.Head.Transform.parameters(), p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
    }

    [Fact]
    public void MaskedLMVerbalizerScoresWholeWordsAcrossMasks()
    {
        using var scope = NewDisposeScope();
        var model = NewModel();
        var verbalizer = new MaskedLMVerbalizer(Words(("car", ["汽车", "好好"]), ("finance", ["财经"]), ("sports", ["体育"])), model, Tokenizer);
        Assert.Equal(2, verbalizer.RequiredMaskCount);
        var h = randn(2, 2, H);
        var (t, e, bias) = Parts(model, h);
        int v = Tokenizer.VocabSize;
        double LogProb(int row, int id)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int x = 0; x < v; x++) max = Math.Max(max, Logit(t, row, e, bias, x));
            for (int x = 0; x < v; x++) sum += Math.Exp(Logit(t, row, e, bias, x) - max);
            return Logit(t, row, e, bias, id) - max - Math.Log(sum);
        }
        var words = new[] { "汽车", "财经", "体育" };
        var scores = Floats(verbalizer.LabelLogits(h));
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 3; c++)
                Assert.Equal(LogProb(b * 2, Id(words[c][..1])) + LogProb(b * 2 + 1, Id(words[c][1..])), scores[b * 3 + c], 1e-4);

        var labels = tensor(new long[] { 2, 0 });
        double expectedLoss = -(LogProb(0, Id("体")) + LogProb(1, Id("育")) + LogProb(2, Id("汽")) + LogProb(3, Id("车"))) / 4;
        Assert.Equal(expectedLoss, verbalizer.Loss(h, labels).item<float>(), 1e-4);

        var mean = new MaskedLMVerbalizer(verbalizer.LabelWords, model, Tokenizer, MaskAggregation.Mean);
        Assert.Equal((LogProb(0, Id("财")) + LogProb(1, Id("经"))) / 2, Floats(mean.LabelLogits(h))[1], 1e-4);
    }

    [Fact]
    public void MaskedLMVerbalizerRejectsUnequalWordsAndWrongMaskCounts()
    {
        using var scope = NewDisposeScope();
        var model = NewModel();
        var e = Assert.Throws<ArgumentException>(() => new MaskedLMVerbalizer(Words(("a", ["汽车"]), ("b", ["财经"]), ("c", ["体育新闻"])), model, Tokenizer));
        Assert.Contains("'体育新闻' (c) has 4", e.Message);
        var verbalizer = new MaskedLMVerbalizer(Words(("a", ["汽车"]), ("b", ["财经"])), model, Tokenizer);
        e = Assert.Throws<ArgumentException>(() => verbalizer.Validate(Template.Parse("{'text': 'text_a'}这是{'mask'}新闻")));
        Assert.Contains("needs exactly 2 {'mask'}", e.Message);
        verbalizer.Validate(Template.Parse("{'text': 'text_a'}这是{'mask': None, 'length': 2}新闻"));
        Assert.Throws<ArgumentException>(() => verbalizer.LabelLogits(randn(1, 3, H)));
    }

    [Fact]
    public void UnknownLabelWordIsRejectedByEveryVerbalizer()
    {
        using var scope = NewDisposeScope();
        var model = NewModel();
        var words = Words(("a", ["好"]), ("b", ["鸭"]));
        foreach (var make in new Func<Verbalizer>[]
                 {
                     () => new ManualVerbalizer(words, model, Tokenizer),
                     () => new SoftVerbalizer(words, model, Tokenizer),
                     () => new MaskedLMVerbalizer(words, model, Tokenizer),
                 })
        {
            var e = Assert.Throws<ArgumentException>(() => { make(); });
            Assert.Contains("'鸭' of label 'b' tokenizes to [UNK]", e.Message);
        }
    }

    [Fact]
    public void InputsAreValidated()
    {
        using var scope = NewDisposeScope();
        var model = NewModel();
        var verbalizer = new ManualVerbalizer(Words(("a", ["好"]), ("b", ["坏"])), model, Tokenizer);
        Assert.Throws<ArgumentException>(() => verbalizer.LabelLogits(randn(2, 1, H + 1)));
        Assert.Throws<ArgumentException>(() => verbalizer.LabelLogits(randn(2, H)));
        Assert.Throws<ArgumentException>(() => verbalizer.Loss(randn(2, 1, H), tensor(new long[] { 0 })));
        Assert.Throws<ArgumentException>(() => verbalizer.Loss(randn(2, 1, H), tensor(new[] { 0, 1 })));
        Assert.Throws<ArgumentOutOfRangeException>(() => verbalizer.Loss(randn(2, 1, H), tensor(new long[] { 0, 2 })));
    }

    [Fact]
    public void SaveAndLoadRestoreConfigurationAndParameters()
    {
        using var scope = NewDisposeScope();
        var model = NewModel();
        var folder = TestPaths.NewTempDir();
        var soft = new SoftVerbalizer(Words(("正向", ["很好"]), ("负向", ["坏", "差评"])), model, Tokenizer);
        using (no_grad()) soft.Decoder.weight.add_(1.5);
        soft.Save(folder);
        var loaded = Assert.IsType<SoftVerbalizer>(Verbalizer.Load(folder, model, Tokenizer));
        Assert.Equal(soft.Labels, loaded.Labels);
        Assert.Equal(new[] { "坏", "差评" }, loaded.LabelWords["负向"]);
        Assert.True(allclose(soft.Decoder.weight, loaded.Decoder.weight, 0, 0));

        var manual = new ManualVerbalizer(soft.LabelWords, model, Tokenizer, Aggregation.First, Aggregation.Max, MaskAggregation.Mean, postLogSoftmax: false);
        manual.Save(folder);
        Assert.False(File.Exists(Path.Combine(folder, Verbalizer.StateFileName)));
        var m = Assert.IsType<ManualVerbalizer>(Verbalizer.Load(folder, model, Tokenizer));
        Assert.Equal((Aggregation.First, Aggregation.Max, MaskAggregation.Mean, false), (m.TokenAggregation, m.WordAggregation, m.MaskAggregation, m.PostLogSoftmax));
        Assert.Equal("manual", manual.ToOptionsJson()["kind"]!.GetValue<string>());

        var masked = new MaskedLMVerbalizer(Words(("a", ["汽车"]), ("b", ["财经"])), model, Tokenizer, MaskAggregation.Mean);
        var files = masked.ConfigFiles();
        var again = Verbalizer.FromConfigFiles(name => files.GetValueOrDefault(name), model, Tokenizer);
        Assert.Equal(MaskAggregation.Mean, Assert.IsType<MaskedLMVerbalizer>(again).MaskAggregation);

        // State of another label set does not load.
        var other = new SoftVerbalizer(Words(("x", ["好"]), ("y", ["坏"]), ("z", ["差"])), model, Tokenizer);
        using var stream = new MemoryStream();
        soft.SaveState(stream);
        stream.Position = 0;
        Assert.Throws<InvalidDataException>(() => other.LoadState(stream));
    }

    [Fact]
    public void LabelWordFileHasPaddleNlpShapeAndKindLivesBesideIt()
    {
        using var scope = NewDisposeScope();
        var model = NewModel();
        var folder = TestPaths.NewTempDir();
        new MaskedLMVerbalizer(Words(("a", ["汽车"]), ("b", ["财经"])), model, Tokenizer).Save(folder);
        // PaddleNLP's Verbalizer.load_from reads every top-level key of verbalizer_config.json as a label.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, Verbalizer.ConfigFileName)))!.AsObject();
        Assert.Equal(new[] { "a", "b" }, config.Select(kv => kv.Key));
        Assert.Equal("汽车", config["a"]![0]!.GetValue<string>());
        var options = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, Verbalizer.OptionsFileName)))!.AsObject();
        Assert.Equal("maskedlm", options["kind"]!.GetValue<string>());
        Assert.Equal("product", options["mask_aggregation"]!.GetValue<string>());

        // A folder PaddleNLP saved has no options file: the kind is given by the caller, and asked for when it is not.
        var paddle = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(paddle, Verbalizer.ConfigFileName), "{\"正向\": [\"很好\"], \"负向\": \"坏\"}");
        var manual = Assert.IsType<ManualVerbalizer>(Verbalizer.Load(paddle, model, Tokenizer, PromptVerbalizerKind.Manual));
        Assert.Equal(new[] { "正向", "负向" }, manual.Labels);
        Assert.Equal(new[] { "坏" }, manual.LabelWords["负向"]);
        var e = Assert.Throws<InvalidDataException>(() => Verbalizer.Load(paddle, model, Tokenizer));
        Assert.Contains("soft, manual, maskedlm", e.Message);

        // The earlier single file {kind, label_words} (checkpoints) and {type, label_words, options} are read too.
        File.WriteAllText(Path.Combine(paddle, Verbalizer.ConfigFileName), "{\"kind\": \"PerCharacterMask\", \"label_words\": {\"a\": [\"汽车\"], \"b\": [\"财经\"]}}");
        Assert.IsType<MaskedLMVerbalizer>(Verbalizer.Load(paddle, model, Tokenizer));
        File.WriteAllText(Path.Combine(paddle, Verbalizer.ConfigFileName), "{\"type\": \"manual\", \"label_words\": {\"a\": [\"汽车\"]}, \"word_aggregation\": \"max\"}");
        Assert.Equal(Aggregation.Max, Assert.IsType<ManualVerbalizer>(Verbalizer.Load(paddle, model, Tokenizer)).WordAggregation);
        File.WriteAllText(Path.Combine(paddle, Verbalizer.OptionsFileName), "{\"kind\": \"lexical\"}");
        File.WriteAllText(Path.Combine(paddle, Verbalizer.ConfigFileName), "{\"a\": [\"汽车\"]}");
        e = Assert.Throws<InvalidDataException>(() => Verbalizer.Load(paddle, model, Tokenizer));
        Assert.Contains("Unknown verbalizer kind 'lexical'; expected soft, manual, maskedlm", e.Message);
    }

    [Theory]
    [InlineData("soft", PromptVerbalizerKind.Soft)]
    [InlineData("Manual", PromptVerbalizerKind.Manual)]
    [InlineData("maskedlm", PromptVerbalizerKind.MaskedLM)]
    [InlineData("MaskedLM", PromptVerbalizerKind.MaskedLM)]
    [InlineData("PerCharacterMask", PromptVerbalizerKind.MaskedLM)]
    [InlineData("per-char", PromptVerbalizerKind.MaskedLM)]
    public void KindNamesReadBackAndEarlierSpellingsAreAccepted(string name, PromptVerbalizerKind kind)
    {
        Assert.Equal(kind, Verbalizer.ParseKind(name));
        Assert.Equal(kind, Verbalizer.ParseKind(Verbalizer.KindName(kind)));
        Assert.Equal(Verbalizer.KindName(kind), Verbalizer.KindName(kind).ToLowerInvariant());
    }

    [Theory]   // PaddleNLP test_aggregate_token
    [InlineData(Aggregation.Mean, new[] { 0.5f, 2.0f, -3.0f, -1.5f })]
    [InlineData(Aggregation.Max, new[] { 1.0f, 2.0f, -3.0f, -1.0f })]
    [InlineData(Aggregation.First, new[] { 0.0f, 2.0f, -3.0f, -1.0f })]
    public void TokenAggregationMatchesPaddleNlp(Aggregation kind, float[] expected)
    {
        using var scope = NewDisposeScope();
        var outputs = tensor(new float[] { 0, 1, 2, 3, -3, -4, -1, -2 }, new long[] { 2, 2, 2 });
        var mask = tensor(new float[] { 1, 1, 1, 0, 1, 0, 1, 1 }, new long[] { 2, 2, 2 });
        Assert.Equal(expected, Floats(VerbalizerAggregation.Reduce(outputs, mask, kind)));
    }

    [Theory]   // PaddleNLP test_aggregate_word
    [InlineData(Aggregation.Mean, new[] { 0.5f, 2.0f })]
    [InlineData(Aggregation.Max, new[] { 1.0f, 2.0f })]
    [InlineData(Aggregation.First, new[] { 0.0f, 2.0f })]
    public void WordAggregationMatchesPaddleNlp(Aggregation kind, float[] expected)
    {
        using var scope = NewDisposeScope();
        var outputs = tensor(new float[] { 0, 1, 2, 3 }, new long[] { 2, 2 });
        var mask = tensor(new float[] { 1, 1, 1, 0 }, new long[] { 2, 2 });
        Assert.Equal(expected, Floats(VerbalizerAggregation.Reduce(outputs, mask, kind)));
    }

    [Theory]   // PaddleNLP test_manual_aggregate_multiple_mask; product differs on purpose (sum of log-probabilities)
    [InlineData(MaskAggregation.Mean, new[] { 1f, 2f, -2f, -3f })]
    [InlineData(MaskAggregation.Max, new[] { 2f, 3f, -1f, -2f })]
    [InlineData(MaskAggregation.First, new[] { 0f, 1f, -3f, -4f })]
    [InlineData(MaskAggregation.Product, new[] { 2f, 4f, -4f, -6f })]
    public void MaskAggregationMatchesPaddleNlp(MaskAggregation kind, float[] expected)
    {
        using var scope = NewDisposeScope();
        var outputs = tensor(new float[] { 0, 1, 2, 3, -3, -4, -1, -2 }, new long[] { 2, 2, 2 });
        Assert.Equal(expected, Floats(VerbalizerAggregation.Masks(outputs, kind)));
    }
}
