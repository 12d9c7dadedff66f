using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.PromptLearning.MLNet;
using Microsoft.ML.PromptLearning.Onnx;
using Microsoft.ML.PromptLearning.Prompting;
using Xunit.Abstractions;
using static Microsoft.ML.PromptLearning.Tests.Onnx.OnnxTestModels;

namespace Microsoft.ML.PromptLearning.Tests.Onnx;

public class PromptOnnxExportTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string[]> Words = new()
    {
        ["教育"] = ["教育"], ["经济"] = ["经济", "市场"], ["体育"] = ["体育"],
    };

    private static readonly Dictionary<string, string[]> OneWordEach = new()
    {
        ["教育"] = ["教育"], ["经济"] = ["经济"], ["体育"] = ["体育"],
    };

    private static PromptErnieTransformer Fit(PromptVerbalizerKind kind, string prompt, int steps = 4)
    {
        var ml = new MLContext(seed: 1);
        var (train, _) = TinyTask.Load(ml, TinyTask.Rows(6, seed: 1));
        return ml.MulticlassClassification.Trainers.PromptErnie(new PromptErnieTrainer.Options
        {
            ModelPath = TestPaths.Fixture("tiny-ernie"), Prompt = prompt, Verbalizer = kind,
            LabelWords = kind == PromptVerbalizerKind.MaskedLM ? OneWordEach : Words,
            MaxSteps = steps, NumberOfEpochs = steps == 0 ? 0 : 1, BatchSize = 8, LearningRate = 2e-3, PromptLearningRate = 1e-2, MaxSequenceLength = 32, Seed = 5, LoggingSteps = 0,
        }).Fit(train);
    }

    /// <summary>Varied lengths (one past the maximum length) so that a batch carries padding.</summary>
    private static string[] ScoredTexts() => [.. Texts, .. TinyTask.Rows(2, seed: 9).Select(r => r.Text).Take(4)];

    [Theory]
    [InlineData(PromptVerbalizerKind.Soft, "这是{'mask'}：{'text':'text_a'}")]
    [InlineData(PromptVerbalizerKind.Soft, "{'soft':'主题'}{'text':'text_a'}{'mask'}")]
    [InlineData(PromptVerbalizerKind.Manual, "这是{'mask'}：{'text':'text_a'}")]
    [InlineData(PromptVerbalizerKind.Manual, "{'soft':'主题'}{'text':'text_a'}{'mask'}{'mask'}")]
    [InlineData(PromptVerbalizerKind.MaskedLM, "这是{'mask'}{'mask'}：{'text':'text_a'}")]
    [InlineData(PromptVerbalizerKind.Soft, "{'soft':'主题'}{'text':'text_a'}{'mask'}", 0)]
    [InlineData(PromptVerbalizerKind.Soft, "{'soft':None,'length':3,'encoder':'lstm','hidden_size':16}{'text':'text_a'}{'mask'}")]
    [InlineData(PromptVerbalizerKind.MaskedLM, "这是{'mask'}{'mask'}：{'text':'text_a'}", 0)]
    public void ExportedPromptModelMatchesTheTransformer(PromptVerbalizerKind kind, string prompt, int steps = 4)
    {
        using var model = Fit(kind, prompt, steps);
        using var stream = new MemoryStream();
        model.ExportToOnnx(stream);
        var bytes = stream.ToArray();
        bool soft = model.Template.HasSoftParts;
        using (var session = new InferenceSession(bytes))
        {
            string[] expectedInputs = ["input_ids", "attention_mask", "token_type_ids", "position_ids", "mask_positions", .. soft ? new[] { "soft_token_ids" } : []];
            Assert.Equal(expectedInputs, session.InputMetadata.Keys.ToArray());
            Assert.Equal("prompt", session.ModelMetadata.CustomMetadataMap["model_kind"]);
            Assert.Equal(model.Template.ToConfigText(), session.ModelMetadata.CustomMetadataMap["template"]);   // template_config.json's text
        }

        var texts = ScoredTexts();
        var expected = model.PredictProbabilities(texts);
        var encoder = new PromptEncoder(model.Template, model.Tokenizer, 32);
        var examples = texts.Select(t => new PromptInputEncoder(encoder).Encode(t, null)).ToList();
        var direct = OrtProbabilities(bytes, examples, model.Tokenizer.PadId);                   // one padded batch
        using var predictor = new OnnxPredictor(bytes, new OnnxPredictorOptions { BatchSize = 4, IntraOpNumThreads = 1 });
        var viaPredictor = predictor.PredictProbabilities(texts);
        double diffDirect = MaxAbsDiff(expected, direct), diffPredictor = MaxAbsDiff(expected, viaPredictor);
        output.WriteLine($"{kind} {prompt}: max |Δp| one padded batch = {diffDirect:E2}, OnnxPredictor = {diffPredictor:E2}");
        Assert.True(diffDirect <= 1e-4, $"{diffDirect}");
        Assert.True(diffPredictor <= 1e-4, $"{diffPredictor}");
        for (int i = 0; i < texts.Length; i++) Assert.Equal(model.Net.ClassCount, expected[i].Length);
        // Near-saturated probabilities hide differences; compare log-probabilities wherever the probability is not tiny.
        double logDiff = 0;
        for (int i = 0; i < texts.Length; i++)
            for (int c = 0; c < expected[i].Length; c++)
                if (expected[i][c] >= 1e-5f) logDiff = Math.Max(logDiff, Math.Abs(Math.Log(expected[i][c]) - Math.Log(viaPredictor[i][c])));
        output.WriteLine($"max |Δ log p| (p ≥ 1e-5) = {logDiff:E2}; lowest top probability {expected.Min(p => p.Max()):F4}; first row [{string.Join(", ", expected[0].Select(v => v.ToString("F4")))}]");
        Assert.True(logDiff <= 1e-3, $"{logDiff}");
    }

    [Theory]
    [InlineData(PromptVerbalizerKind.Soft, "{'soft':'主题'}{'text':'text_a'}{'mask'}")]
    [InlineData(PromptVerbalizerKind.Manual, "这是{'mask'}：{'text':'text_a'}")]
    [InlineData(PromptVerbalizerKind.MaskedLM, "这是{'mask'}{'mask'}：{'text':'text_a'}")]
    public void Int8ExportOfAPromptModelAgreesOnTheLabel(PromptVerbalizerKind kind, string prompt)
    {
        using var model = Fit(kind, prompt);
        using var stream = new MemoryStream();
        model.ExportToOnnx(stream, new OnnxExportOptions { Precision = OnnxPrecision.Int8 });
        using var predictor = new OnnxPredictor(stream.ToArray(), new OnnxPredictorOptions { BatchSize = 4, IntraOpNumThreads = 1 });
        var texts = ScoredTexts();
        var fp32 = model.PredictProbabilities(texts);
        var int8 = predictor.PredictProbabilities(texts);
        int agree = Enumerable.Range(0, texts.Length).Count(i => ArgMax(fp32[i]) == ArgMax(int8[i]));
        output.WriteLine($"int8 {kind} {prompt}: argmax agreement {agree}/{texts.Length}, max |Δp| = {MaxAbsDiff(fp32, int8):E2}");
        Assert.True(agree >= texts.Length - 1, $"{agree}/{texts.Length}");
    }

    [Fact]
    public void MLNetOnnxScoringPipelineScoresASoftPromptModelLikeTheTransformer()
    {
        using var model = Fit(PromptVerbalizerKind.Manual, "{'soft':'主题'}{'text':'text_a'}{'mask'}");
        var ml = new MLContext(seed: 1);
        var texts = ScoredTexts();
        var scores = model.ToOnnxScoringPipeline(ml)
            .Transform(ml.Data.LoadFromEnumerable(texts.Select(t => new TinyTask.Row { Text = t, Label = "" })))
            .GetColumn<float[]>("Score").ToArray();
        double diff = MaxAbsDiff(model.PredictProbabilities(texts), scores);
        output.WriteLine($"ML.NET ONNX pipeline, soft prompt + manual verbalizer: max |Δp| = {diff:E2}");
        Assert.True(diff <= 1e-4, $"{diff}");
    }

    private static int ArgMax(float[] p) => Array.IndexOf(p, p.Max());
}
