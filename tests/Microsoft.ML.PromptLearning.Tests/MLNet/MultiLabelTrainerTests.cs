using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.Data;
using Microsoft.ML.PromptLearning.MultiLabel;

namespace Microsoft.ML.PromptLearning.Tests.MLNet;

public class MultiLabelTrainerTests
{
    private static PromptErnieTrainer.Options PromptOptions(int steps) => new()
    {
        ModelPath = TestPaths.Fixture("tiny-ernie"), Prompt = "这是{'mask'}：{'text':'text_a'}", LabelWords = TinyMultiLabelTask.Words,
        MaxSteps = steps, BatchSize = 8, LearningRate = 1e-3, PromptLearningRate = 3e-2, MaxSequenceLength = 32, Seed = 5, LoggingSteps = 0,
    };

    private sealed class Scored
    {
        public float[] Score { get; set; }
        private uint[] predicted = [];
        /// <summary>ML.NET gives null for an empty variable-length vector; an empty label set reads as [].</summary>
        public uint[] PredictedLabels { get => predicted; set => predicted = value ?? []; }
    }

    private static (IDataView Data, ITransformer KeyMap, List<MultiLabeledText> Rows) Load(MLContext ml, int count, int seed)
    {
        var rows = TinyMultiLabelTask.Texts(count, seed);
        var keyMap = TinyMultiLabelTask.KeyMap(ml);
        return (keyMap.Transform(ml.Data.LoadFromEnumerable(rows)), keyMap, rows);
    }

    [Fact]
    public void PromptErnieScoresEvaluatesSavesAndLoadsWithIdenticalLabelSets()
    {
        var ml = new MLContext(seed: 1);
        var (train, keyMap, rows) = Load(ml, 24, seed: 3);
        var model = ml.MultiLabelClassification().Trainers.PromptErnie(PromptOptions(12)).Fit(train);
        var scored = model.Transform(train);
        Assert.IsType<VectorDataViewType>(scored.Schema["PredictedLabels"].Type);
        var results = ml.Data.CreateEnumerable<Scored>(scored, reuseRowObject: false).ToList();
        Assert.All(results, r =>
        {
            Assert.Equal(3, r.Score.Length);
            Assert.All(r.Score, p => Assert.InRange(p, 0f, 1f));
            // PredictedLabels are exactly the labels above the default threshold, as 1-based keys
            Assert.Equal(Enumerable.Range(0, 3).Where(c => r.Score[c] > 0.5f).Select(c => (uint)c + 1), r.PredictedLabels);
        });
        Assert.Contains(results, r => Math.Abs(r.Score.Sum() - 1) > 0.05);   // independent sigmoids, not a distribution

        // Evaluate reads the key vectors and gives what the metrics give for the same sets
        var metrics = ml.MultiLabelClassification().Evaluate(scored);
        var expected = MultiLabelClassificationMetrics.Compute(
            rows.Select(r => (IReadOnlyCollection<int>)r.Labels.Select(l => Array.IndexOf(TinyMultiLabelTask.Labels, l)).ToArray()).ToArray(),
            results.Select(r => (IReadOnlyCollection<int>)r.PredictedLabels.Select(k => (int)k - 1).ToArray()).ToArray(), TinyMultiLabelTask.Labels);
        Assert.Equal(expected.MicroF1, metrics.MicroF1);
        Assert.Equal(expected.MacroF1, metrics.MacroF1);
        Assert.Equal(TinyMultiLabelTask.Labels, metrics.PerLabel.Select(s => s.Label));

        // the zip: same scores and label sets here, in a new process and through a PredictionEngine
        var path = Path.Combine(TestPaths.NewTempDir(), "multi-label.zip");
        ml.Model.SavePromptModel(keyMap.Append(model), ml.Data.LoadFromEnumerable(rows).Schema, path);
        var loaded = ml.Model.LoadPromptModel(path, out _);
        var again = ml.Data.CreateEnumerable<Scored>(loaded.Transform(ml.Data.LoadFromEnumerable(rows)), reuseRowObject: false).ToList();
        var engine = ml.Model.CreatePredictionEngine<MultiLabeledText, Scored>(loaded);
        var elsewhere = SeparateProcess.Score(SaveScorerOnly(ml, model), rows.Select(r => r.Text));
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(results[i].Score, again[i].Score);
            Assert.Equal(results[i].PredictedLabels, again[i].PredictedLabels);
            Assert.Equal(results[i].Score, elsewhere[i]);
            var single = engine.Predict(rows[i]);
            for (int c = 0; c < 3; c++) Assert.Equal(results[i].Score[c], single.Score[c], 1e-5);
            Assert.Equal(results[i].PredictedLabels, single.PredictedLabels);
        }
    }

    [Fact]
    public void OnnxRuntimeScoringGivesTorchSharpsLabelSets()
    {
        var ml = new MLContext(seed: 1);
        var (train, _, _) = Load(ml, 24, seed: 3);
        var model = ml.MultiLabelClassification().Trainers.PromptErnie(PromptOptions(12)).Fit(train);
        var torch = ml.Data.CreateEnumerable<Scored>(model.Transform(train), reuseRowObject: false).ToList();
        model.ScoringEngine = ScoringEngine.OnnxRuntime;
        var onnx = ml.Data.CreateEnumerable<Scored>(model.Transform(train), reuseRowObject: false).ToList();
        Assert.Equal(torch.Count, onnx.Count);
        for (int i = 0; i < torch.Count; i++)
        {
            for (int c = 0; c < 3; c++) Assert.Equal(torch[i].Score[c], onnx[i].Score[c], 1e-5);   // sigmoids, not a softmax
            Assert.Equal(torch[i].PredictedLabels, onnx[i].PredictedLabels);
        }
    }

    [Fact]
    public void Int8AgreementCountsWholeLabelSetsAndTheEngineSurvivesSaveAndLoad()
    {
        var ml = new MLContext(seed: 1);
        var (train, _, _) = Load(ml, 24, seed: 3);
        var options = PromptOptions(12);
        options.ValidationSet = train;
        options.ScoringEngine = ScoringEngine.OnnxRuntime;
        options.ScoringPrecision = ScoringPrecision.Int8;
        var model = ml.MultiLabelClassification().Trainers.PromptErnie(options).Fit(train);
        var int8 = ml.Data.CreateEnumerable<Scored>(model.Transform(train), reuseRowObject: false).ToList();
        var path = Path.Combine(TestPaths.NewTempDir(), "int8.zip");
        ml.Model.Save(model, train.Schema, path);
        using (var loaded = (PromptErnieTransformer)ml.Model.Load(path, out _))   // the engine choice travels with the thresholds
            Assert.Equal((ScoringEngine.OnnxRuntime, ScoringPrecision.Int8), (loaded.ScoringEngine, loaded.ScoringPrecision));
        model.ScoringEngine = ScoringEngine.TorchSharp;
        model.ScoringPrecision = ScoringPrecision.Float32;
        var exact = ml.Data.CreateEnumerable<Scored>(model.Transform(train), reuseRowObject: false).ToList();
        double same = exact.Where((e, i) => e.PredictedLabels.SequenceEqual(int8[i].PredictedLabels)).Count() / (double)exact.Count;
        Assert.Equal(same, model.ValidationAgreementWithFloat32, 1e-12);
    }

    private static string SaveScorerOnly(MLContext ml, ITransformer model)
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "scorer.zip");
        ml.Model.Save(model, ml.Data.LoadFromEnumerable(new[] { new MultiLabeledText { Text = "" } }).Schema, path);
        return path;
    }

    [Fact]
    public void TunedThresholdsAndTheLabelTreeTravelWithTheModel()
    {
        var ml = new MLContext(seed: 1);
        string[] labels = ["A", "A##x", "A##y", "B"];
        var keyMap = ml.Transforms.Conversion.MapValueToKey("Label", "Labels", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByOccurrence)
            .Fit(ml.Data.LoadFromEnumerable(new[] { new MultiLabeledText { Text = "", Labels = labels } }));
        var rows = TinyMultiLabelTask.Rows(16, seed: 7).Select(r => new MultiLabeledText
        {
            Text = r.Text, Labels = r.Labels.Length == 0 ? [] : r.Labels.Contains(0) ? ["A", "A##x"] : ["B"],
        }).ToList();
        var data = keyMap.Transform(ml.Data.LoadFromEnumerable(rows));
        var options = new ErnieTextClassificationTrainer.Options
        {
            ModelPath = TestPaths.Fixture("tiny-ernie"), MaxSteps = 4, BatchSize = 8, LearningRate = 1e-3, MaxSequenceLength = 32, Seed = 3, LoggingSteps = 0, ValidationSet = data,
        };
        var model = ml.MultiLabelClassification().Trainers.ErnieTextClassification(options, new MultiLabelOptions { TuneThresholds = true }).Fit(data);
        var thresholds = model.Settings.Thresholds;
        Assert.True(model.Settings.Hierarchical);
        Assert.Equal(4, thresholds.Length);
        Assert.Contains(thresholds, t => t != 0.5f);   // tuned on the validation rows
        var results = ml.Data.CreateEnumerable<Scored>(model.Transform(data), reuseRowObject: false).ToList();
        var tree = LabelHierarchy.Create(labels);
        Assert.All(results, r => Assert.Equal(tree.Complete(LabelThresholds.Apply(r.Score, thresholds)).Select(c => (uint)c + 1), r.PredictedLabels));

        var path = Path.Combine(TestPaths.NewTempDir(), "tree.zip");
        ml.Model.Save(model, data.Schema, path);
        var loaded = (ErnieTextClassificationTransformer)ml.Model.Load(path, out _);
        Assert.Equal(thresholds, loaded.Settings.Thresholds);
        Assert.True(loaded.Settings.Hierarchical);
        Assert.Equal(results.Select(r => r.PredictedLabels), ml.Data.CreateEnumerable<Scored>(loaded.Transform(data), reuseRowObject: false).Select(r => r.PredictedLabels));
    }

    [Fact]
    public void ResumingFromACheckpointEndsWithTheSameModel()
    {
        var ml = new MLContext(seed: 1);
        var (train, _, _) = Load(ml, 16, seed: 6);
        float[][] Fit(string checkpoints, string resume)
        {
            var options = PromptOptions(6);
            options.CheckpointDirectory = checkpoints;
            options.SaveSteps = 3;
            options.SaveTotalLimit = 0;
            options.ResumeFromCheckpoint = resume;
            using var model = ml.MultiLabelClassification().Trainers.PromptErnie(options).Fit(train);
            return model.Transform(train).GetColumn<float[]>("Score").ToArray();
        }
        using var dir = new TempDirectory();
        var uninterrupted = Fit(dir.File("a"), null);
        Assert.True(Directory.Exists(dir.File(Path.Combine("a", "checkpoint-3"))));
        // a second run that continues from the first run's step-3 checkpoint ends with the same weights
        var resumed = Fit(dir.File("b"), dir.File(Path.Combine("a", "checkpoint-3")));
        Assert.Equal(uninterrupted, resumed);
        // it did continue: the second run wrote only its final checkpoint
        Assert.False(Directory.Exists(dir.File(Path.Combine("b", "checkpoint-3"))));
        Assert.True(Directory.Exists(dir.File(Path.Combine("b", "checkpoint-6"))));
    }

    [Fact]
    public void ACommaSeparatedLabelColumnMapsToTheSameKeys()
    {
        var ml = new MLContext(seed: 1);
        var rows = TinyMultiLabelTask.Texts(8, seed: 2);
        var fromArrays = TinyMultiLabelTask.KeyMap(ml).Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<VBuffer<uint>>("Label").Select(v => v.DenseValues().ToArray()).ToList();
        var text = ml.Data.LoadFromEnumerable(rows.Select(r => new { r.Text, LabelText = string.Join(",", r.Labels) }));
        var keyData = ml.Data.LoadFromEnumerable(TinyMultiLabelTask.Labels.Select(l => new { Label = l }));
        var pipeline = ml.Transforms.Text.TokenizeIntoWords("Label", "LabelText", separators: [','])
            .Append(ml.Transforms.Conversion.MapValueToKey("Label", keyData: keyData));
        var fromText = pipeline.Fit(text).Transform(text).GetColumn<VBuffer<uint>>("Label").Select(v => v.DenseValues().ToArray()).ToList();
        Assert.Equal(fromArrays, fromText);
        Assert.Contains(fromText, k => k.Length == 0);   // an empty field is the empty label set
    }

    [Fact]
    public void CrossValidateScoresEveryFold()
    {
        var ml = new MLContext(seed: 1);
        var (data, _, rows) = Load(ml, 16, seed: 4);
        var results = ml.MultiLabelClassification().CrossValidate(data, ml.MultiLabelClassification().Trainers.PromptErnie(PromptOptions(2)), numberOfFolds: 2);
        Assert.Equal(new[] { 0, 1 }, results.Select(r => r.Fold));
        Assert.Equal(rows.Count, results.Sum(r => r.Metrics.Rows));
        Assert.All(results, r => Assert.Equal(3, r.Metrics.PerLabel.Count));
    }

    [Fact]
    public void LabelsOutsideTheKeyAreReportedAndIgnored()
    {
        var ml = new MLContext(seed: 1);
        var warnings = new List<string>();
        ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) lock (warnings) warnings.Add(e.RawMessage); };
        var rows = TinyMultiLabelTask.Texts(8, seed: 2);
        rows[0].Labels = [.. rows[0].Labels, "politics"];
        rows[1].Labels = ["politics"];
        var data = TinyMultiLabelTask.KeyMap(ml).Transform(ml.Data.LoadFromEnumerable(rows));
        using var model = ml.MultiLabelClassification().Trainers.PromptErnie(PromptOptions(1)).Fit(data);
        Assert.Contains(warnings, w => w.StartsWith("2 labels of the training rows are outside the label key's values", StringComparison.Ordinal));
    }

    [Fact]
    public void LabelColumnsOfTheWrongShapeSayWhichCatalogToUse()
    {
        var ml = new MLContext(seed: 1);
        var (data, _, _) = Load(ml, 4, seed: 1);
        var multiClass = Assert.ThrowsAny<Exception>(() => ml.MulticlassClassification.Trainers.PromptErnie(PromptOptions(1)).Fit(data));
        Assert.Contains("MultiLabelClassification()", multiClass.Message);
        var (single, _) = TinyTask.Load(ml, TinyTask.Rows(2, seed: 1));
        var multi = Assert.ThrowsAny<Exception>(() => ml.MultiLabelClassification().Trainers.PromptErnie(PromptOptions(1)).Fit(single));
        Assert.Contains("vector of keys", multi.Message);
        var manual = PromptOptions(1);
        manual.Verbalizer = PromptVerbalizerKind.Manual;
        Assert.Contains("soft verbalizer", Assert.ThrowsAny<Exception>(() => ml.MultiLabelClassification().Trainers.PromptErnie(manual).Fit(data)).Message);
    }
}
