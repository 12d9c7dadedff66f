using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.Inference;

namespace Microsoft.ML.PromptLearning.Tests.MLNet;

/// <summary>
/// <see cref="ScoringEngine.OnnxRuntime"/> inside the fitted transformers: <c>Transform</c>, <c>PredictionEngine</c> and
/// <c>PredictProbabilities</c> score through an in-memory ONNX Runtime session with TorchSharp's predictions in float32, the
/// choice survives save and load, and int8 is opt-in with its validation agreement reported.
/// </summary>
public class ScoringEngineTests
{
    private sealed class Prediction
    {
        public float[] Score { get; set; }
        public uint PredictedLabel { get; set; }
    }

    private static readonly Dictionary<string, string[]> Words = new() { ["教育"] = ["教育"], ["经济"] = ["经济"], ["体育"] = ["体育"] };

    private static (MLContext Ml, List<TinyTask.Row> Rows, IDataView Data, ITransformer KeyMap) Task()
    {
        var ml = new MLContext(seed: 1);
        var rows = TinyTask.Rows(8, seed: 5);
        var (data, keyMap) = TinyTask.Load(ml, rows);
        return (ml, rows, data, keyMap);
    }

    private static ErnieClassifierTransformerBase Fit(MLContext ml, IDataView data, bool prompt, ScoringEngine engine = ScoringEngine.TorchSharp,
        ScoringPrecision precision = ScoringPrecision.Float32, IDataView validation = null)
    {
        if (prompt)
            return ml.MulticlassClassification.Trainers.PromptErnie(new PromptErnieTrainer.Options
            {
                ModelPath = TestPaths.Fixture("tiny-ernie"), Prompt = "{'soft':'主题'}{'text':'text_a'}{'mask'}", MaxSteps = 6, MaxSequenceLength = 32,
                LabelWords = Words, LoggingSteps = 0, Seed = 3, ScoringEngine = engine, ScoringPrecision = precision, ValidationSet = validation,
            }).Fit(data);
        return ml.MulticlassClassification.Trainers.ErnieTextClassification(new ErnieTextClassificationTrainer.Options
        {
            ModelPath = TestPaths.Fixture("tiny-ernie"), MaxSteps = 6, MaxSequenceLength = 32, LoggingSteps = 0, Seed = 3,
            ScoringEngine = engine, ScoringPrecision = precision, ValidationSet = validation,
        }).Fit(data);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void OnnxRuntimeScoresLikeTorchSharpInTransformAndPredictionEngine(bool prompt)
    {
        var (ml, rows, data, keyMap) = Task();
        using var model = Fit(ml, data, prompt);
        Assert.Equal(ScoringEngine.TorchSharp, model.ScoringEngine);
        var texts = rows.Select(r => r.Text).ToList();
        var torch = model.PredictProbabilities(texts);

        model.ScoringEngine = ScoringEngine.OnnxRuntime;
        var pipeline = keyMap.Append(model);
        var transformed = pipeline.Transform(ml.Data.LoadFromEnumerable(rows));
        var scores = transformed.GetColumn<float[]>("Score").ToList();
        var labels = transformed.GetColumn<uint>("PredictedLabel").ToList();
        var engine = ml.Model.CreatePredictionEngine<TinyTask.Row, Prediction>(pipeline);
        for (int i = 0; i < texts.Count; i++)
        {
            Assert.True(scores[i].Zip(torch[i]).All(p => Math.Abs(p.First - p.Second) < 1e-5), $"row {i}: ONNX Runtime {string.Join(",", scores[i])} vs TorchSharp {string.Join(",", torch[i])}");
            Assert.Equal((uint)Probabilities.ArgMax(torch[i]) + 1, labels[i]);
            var one = engine.Predict(rows[i]);
            Assert.True(one.Score.Zip(torch[i]).All(p => Math.Abs(p.First - p.Second) < 1e-5), $"row {i}: PredictionEngine");
            Assert.Equal(labels[i], one.PredictedLabel);
        }
        // The ONNX scores are not TorchSharp's bit for bit: the session really scored them.
        Assert.Contains(Enumerable.Range(0, texts.Count), i => !scores[i].SequenceEqual(torch[i]));

        model.ScoringEngine = ScoringEngine.TorchSharp;
        Assert.Equal(torch, model.PredictProbabilities(texts));
    }

    [Fact]
    public void TheEngineAndPrecisionSurviveSaveAndLoad()
    {
        var (ml, rows, data, keyMap) = Task();
        using var model = Fit(ml, data, prompt: true, ScoringEngine.OnnxRuntime, ScoringPrecision.Int8);
        Assert.Equal(ScoringEngine.OnnxRuntime, model.ScoringEngine);
        Assert.Equal(ScoringPrecision.Int8, model.ScoringPrecision);
        var texts = rows.Select(r => r.Text).ToList();
        var int8 = model.PredictProbabilities(texts);
        var path = Path.Combine(TestPaths.NewTempDir(), "model.zip");
        ml.Model.Save(keyMap.Append(model), ml.Data.LoadFromEnumerable(rows).Schema, path);

        var loaded = (TransformerChain<ITransformer>)ml.Model.Load(path, out _);
        using var back = (ErnieClassifierTransformerBase)loaded.LastTransformer;
        Assert.Equal(ScoringEngine.OnnxRuntime, back.ScoringEngine);
        Assert.Equal(ScoringPrecision.Int8, back.ScoringPrecision);
        Assert.Equal(int8, back.PredictProbabilities(texts));   // the same int8 graph from the same weights

        back.ScoringPrecision = ScoringPrecision.Float32;
        back.ScoringEngine = ScoringEngine.TorchSharp;
        var exact = back.PredictProbabilities(texts);
        Assert.True(int8.Zip(exact).All(r => r.First.Zip(r.Second).All(p => Math.Abs(p.First - p.Second) < 0.05)), "int8 stays close to float32");
        Assert.Contains(Enumerable.Range(0, texts.Count), i => !int8[i].SequenceEqual(exact[i]));
    }

    [Fact]
    public void ADamagedScoringChoiceInTheZipNamesTheAllowedValues()
    {
        var (ml, rows, data, keyMap) = Task();
        using var model = Fit(ml, data, prompt: false, ScoringEngine.OnnxRuntime);
        var path = Path.Combine(TestPaths.NewTempDir(), "model.zip");
        ml.Model.Save(keyMap.Append(model), ml.Data.LoadFromEnumerable(rows).Schema, path);
        using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update))
        {
            var entry = zip.Entries.Single(e => e.FullName.EndsWith("/Scoring.json", StringComparison.Ordinal));
            using (var r = new StreamReader(entry.Open())) Assert.Contains("OnnxRuntime", r.ReadToEnd());
            var name = entry.FullName;
            entry.Delete();
            using var w = new StreamWriter(zip.CreateEntry(name).Open());
            w.Write("{\"engine\":\"Gpu\",\"precision\":\"Float32\"}");
        }
        var e = Assert.ThrowsAny<Exception>(() => ml.Model.Load(path, out _));
        var message = e.ToString();
        Assert.Contains("Scoring.json", message);
        Assert.Contains("TorchSharp, OnnxRuntime", message);
    }

    [Fact]
    public void Int8WithoutOnnxRuntimeIsRefusedWithTheFix()
    {
        var (ml, rows, data, keyMap) = Task();
        var e = Assert.ThrowsAny<Exception>(() => Fit(ml, data, prompt: false, ScoringEngine.TorchSharp, ScoringPrecision.Int8));
        Assert.Contains("ScoringEngine = ScoringEngine.OnnxRuntime", e.Message);

        using var model = Fit(ml, data, prompt: false);
        model.ScoringPrecision = ScoringPrecision.Int8;
        var scoring = Assert.ThrowsAny<Exception>(() => model.PredictProbabilities([rows[0].Text]));
        Assert.Contains("ScoringEngine = ScoringEngine.OnnxRuntime", scoring.Message);
    }

    [Fact]
    public void BFloat16ScoresThroughABFloat16CopyCloseToFloat32()
    {
        var (ml, rows, data, keyMap) = Task();
        var validation = keyMap.Transform(ml.Data.LoadFromEnumerable(TinyTask.Rows(5, seed: 9)));
        using var model = Fit(ml, data, prompt: true, ScoringEngine.TorchSharp, ScoringPrecision.BFloat16, validation);
        Assert.InRange(model.ValidationAgreementWithFloat32, 0.5, 1.0);
        var texts = rows.Select(r => r.Text).ToList();
        var bf16 = model.PredictProbabilities(texts);
        model.ScoringPrecision = ScoringPrecision.Float32;
        var exact = model.PredictProbabilities(texts);
        Assert.True(bf16.Zip(exact).All(r => r.First.Zip(r.Second).All(p => Math.Abs(p.First - p.Second) < 0.05)), "bfloat16 stays close to float32");
        Assert.Contains(Enumerable.Range(0, texts.Count), i => !bf16[i].SequenceEqual(exact[i]));   // it really ran in bfloat16
        Assert.All(bf16, p => Assert.Equal(1.0, p.Sum(), 3));

        model.ScoringEngine = ScoringEngine.OnnxRuntime;
        model.ScoringPrecision = ScoringPrecision.BFloat16;
        var e = Assert.ThrowsAny<Exception>(() => model.PredictProbabilities([texts[0]]));
        Assert.Contains("ScoringEngine = ScoringEngine.TorchSharp", e.Message);
    }

    [Fact]
    public void Int8TrainingReportsItsValidationAgreement()
    {
        var (ml, rows, data, keyMap) = Task();
        var validation = keyMap.Transform(ml.Data.LoadFromEnumerable(TinyTask.Rows(5, seed: 9)));
        using var int8 = Fit(ml, data, prompt: true, ScoringEngine.OnnxRuntime, ScoringPrecision.Int8, validation);
        Assert.InRange(int8.ValidationAgreementWithFloat32, 0.5, 1.0);
        using var fp32 = Fit(ml, data, prompt: true, ScoringEngine.OnnxRuntime, ScoringPrecision.Float32, validation);
        Assert.True(double.IsNaN(fp32.ValidationAgreementWithFloat32));
    }
}
