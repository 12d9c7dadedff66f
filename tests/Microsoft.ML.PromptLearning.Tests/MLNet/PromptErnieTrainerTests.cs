using Microsoft.ML;
using Microsoft.ML.Data;

namespace Microsoft.ML.PromptLearning.Tests.MLNet;

public class PromptErnieTrainerTests
{
    private static readonly Dictionary<string, string[]> Words = new()
    {
        ["教育"] = new[] { "教育" }, ["经济"] = new[] { "经济", "市场" }, ["体育"] = new[] { "体育" },
    };

    private static PromptErnieTrainer.Options Options(PromptVerbalizerKind kind, string prompt = "这是{'mask'}{'mask'}：{'text':'text_a'}") => new()
    {
        ModelPath = TestPaths.Fixture("tiny-ernie"), Prompt = prompt, LabelWords = Words, Verbalizer = kind,
        MaxSteps = 150, BatchSize = 8, LearningRate = 2e-3, PromptLearningRate = 1e-2, MaxSequenceLength = 32, Seed = 5, LoggingSteps = 0,
    };

    [Theory]
    [InlineData(PromptVerbalizerKind.Soft, "这是{'mask'}：{'text':'text_a'}")]
    [InlineData(PromptVerbalizerKind.Manual, "这是{'mask'}：{'text':'text_a'}")]
    [InlineData(PromptVerbalizerKind.MaskedLM, "这是{'mask'}{'mask'}：{'text':'text_a'}")]
    [InlineData(PromptVerbalizerKind.Soft, "{'soft':'主题'}{'text':'text_a'}{'soft'}{'mask'}")]
    [InlineData(PromptVerbalizerKind.Soft, "{'soft':None,'length':3,'encoder':'lstm','hidden_size':16}{'text':'text_a'}{'mask'}")]
    [InlineData(PromptVerbalizerKind.Soft, "{'soft':None,'length':2,'encoder':'mlp'}{'text':'text_a'}{'mask'}")]
    public void ReachesFullTrainingAccuracyOnASeparableTask(PromptVerbalizerKind kind, string prompt)
    {
        var ml = new MLContext(seed: 1);
        var (train, _) = TinyTask.Load(ml, TinyTask.Rows(12, seed: 1));
        var options = Options(kind, prompt);
        if (kind == PromptVerbalizerKind.MaskedLM) options.LabelWords = new Dictionary<string, string[]> { ["教育"] = new[] { "教育" }, ["经济"] = new[] { "经济" }, ["体育"] = new[] { "体育" } };
        var model = ml.MulticlassClassification.Trainers.PromptErnie(options).Fit(train);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(train));
        Assert.Equal(1.0, metrics.MicroAccuracy);
        Assert.Equal(3, ((VectorDataViewType)model.Transform(train).Schema["Score"].Type).Size);
    }

    /// <summary>A manual-verbalizer model with a bare prompt, fitted without a training step.</summary>
    private static (PromptErnieTransformer Model, IDataView Train) ZeroShotModel(MLContext ml)
    {
        var (train, _) = TinyTask.Load(ml, TinyTask.Rows(2, seed: 1));
        var options = Options(PromptVerbalizerKind.Manual, prompt: "这条新闻的主题是");
        options.MaxSteps = 0;
        options.NumberOfEpochs = 0;
        return (ml.MulticlassClassification.Trainers.PromptErnie(options).Fit(train), train);
    }

    [Fact]
    public void ZeroShotScoresWithoutTrainingAndBarePromptGetsAMask()
    {
        var ml = new MLContext(seed: 1);
        var (model, train) = ZeroShotModel(ml);
        Assert.Equal(0, model.TrainingReport.Steps);
        Assert.Equal("{'text': 'text_a'}这条新闻的主题是{'mask'}", model.Template.ToString());
        var scores = model.Transform(train).GetColumn<float[]>("Score").First();
        Assert.Equal(1.0, scores.Sum(), 1e-4);
    }

    [Fact]
    public void ZipHoldsTheTemplateAndVerbalizerFilesOfACheckpoint()
    {
        var ml = new MLContext(seed: 1);
        var (model, train) = ZeroShotModel(ml);
        var path = Path.Combine(TestPaths.NewTempDir(), "prompt.zip");
        ml.Model.Save(model, train.Schema, path);
        using var zip = System.IO.Compression.ZipFile.OpenRead(path);
        string Entry(string name) => new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith("Prompt/" + name, StringComparison.Ordinal)).Open()).ReadToEnd();
        Assert.Equal(model.Template.ToConfigText(), Entry("template_config.json"));
        var words = System.Text.Json.Nodes.JsonNode.Parse(Entry("verbalizer_config.json"))!.AsObject();
        Assert.Equal(TinyTask.Labels, words.Select(kv => kv.Key));
        Assert.Equal("市场", words["经济"]![1]!.GetValue<string>());
        Assert.Equal("manual", System.Text.Json.Nodes.JsonNode.Parse(Entry("verbalizer_options.json"))!["kind"]!.GetValue<string>());
    }

    [Fact]
    public void SaveLoadInANewProcessGivesIdenticalScores()
    {
        var ml = new MLContext(seed: 1);
        var rows = TinyTask.Rows(6, seed: 3);
        var (train, keyMap) = TinyTask.Load(ml, rows);
        var options = Options(PromptVerbalizerKind.Soft, "{'soft':'主题'}{'text':'text_a'}{'mask'}");
        options.MaxSteps = 5;
        var chain = keyMap.Append(ml.MulticlassClassification.Trainers.PromptErnie(options).Fit(train));
        var raw = ml.Data.LoadFromEnumerable(rows);
        var path = Path.Combine(TestPaths.NewTempDir(), "prompt.zip");
        ml.Model.Save(chain, raw.Schema, path);
        var before = chain.Transform(raw).GetColumn<float[]>("Score").ToList();
        var after = ml.Model.Load(path, out _).Transform(raw).GetColumn<float[]>("Score").ToList();
        var elsewhere = SeparateProcess.Score(path, rows.Select(r => r.Text));
        for (int i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i], after[i]);
            Assert.Equal(before[i], elsewhere[i]);
        }
    }

    [Fact]
    public void BatchedTransformMatchesPredictionEngine()
    {
        var ml = new MLContext(seed: 1);
        var rows = TinyTask.Rows(10, seed: 4);
        var (train, _) = TinyTask.Load(ml, rows);
        var options = Options(PromptVerbalizerKind.Soft);
        options.MaxSteps = 3;
        options.EvalBatchSize = 4;   // several batches of different padded lengths
        var model = ml.MulticlassClassification.Trainers.PromptErnie(options).Fit(train);
        var batched = model.Transform(train).GetColumn<float[]>("Score").ToList();
        var engine = ml.Model.CreatePredictionEngine<TinyTask.Row, ScoreOnly>(model);
        for (int i = 0; i < rows.Count; i++)
        {
            var single = engine.Predict(rows[i]).Score;
            for (int c = 0; c < single.Length; c++) Assert.Equal(batched[i][c], single[c], 1e-5);
        }
    }

    [Fact]
    public void CrossValidateGivesOneScoredFoldPerSplit()
    {
        const int folds = 2;
        var ml = new MLContext(seed: 1);
        var rows = TinyTask.Rows(8, seed: 6);
        var (data, _) = TinyTask.Load(ml, rows);
        var options = Options(PromptVerbalizerKind.Soft, "这是{'mask'}：{'text':'text_a'}");
        options.MaxSteps = 4;
        var results = ml.MulticlassClassification.CrossValidate(data, ml.MulticlassClassification.Trainers.PromptErnie(options), numberOfFolds: folds);

        Assert.Equal(folds, results.Count);
        Assert.Equal(Enumerable.Range(0, folds), results.Select(r => r.Fold).OrderBy(f => f));
        long heldOut = 0;
        foreach (var fold in results)
        {
            var m = fold.Metrics;
            Assert.InRange(m.MicroAccuracy, 0.0, 1.0);
            Assert.InRange(m.MacroAccuracy, 0.0, 1.0);
            Assert.False(double.IsNaN(m.LogLoss));
            Assert.Equal(TinyTask.Labels.Length, m.ConfusionMatrix.NumberOfClasses);
            Assert.Equal(TinyTask.Labels.Length, m.PerClassLogLoss.Count);

            // The fold's model scored its own test fold: one probability vector per held-out row, and the confusion
            // matrix counts exactly those rows.
            var scored = fold.ScoredHoldOutSet;
            Assert.Equal(TinyTask.Labels.Length, ((VectorDataViewType)scored.Schema["Score"].Type).Size);
            var scores = scored.GetColumn<float[]>("Score").ToList();
            var texts = scored.GetColumn<string>("Text").ToList();
            Assert.NotEmpty(scores);
            Assert.All(scores, s => Assert.Equal(1.0, s.Sum(), 4));
            Assert.Equal(scores.Count, m.ConfusionMatrix.Counts.Sum(row => row.Sum()), 1e-6);
            heldOut += scores.Count;

            // Re-scoring the held-out texts with the fold's model gives the same probabilities and the same metrics.
            var rescored = fold.Model.Transform(ml.Data.LoadFromEnumerable(texts.Select(t => new TinyTask.Row { Text = t })))
                .GetColumn<float[]>("Score").ToList();
            for (int i = 0; i < scores.Count; i++)
                for (int c = 0; c < scores[i].Length; c++) Assert.Equal(scores[i][c], rescored[i][c], 1e-5);
            Assert.Equal(m.MicroAccuracy, ml.MulticlassClassification.Evaluate(scored).MicroAccuracy, 10);
        }
        Assert.Equal(rows.Count, heldOut);
    }

    [Fact]
    public void BadLabelWordsAndTemplatesFailClearly()
    {
        var ml = new MLContext(seed: 1);
        var (train, _) = TinyTask.Load(ml, TinyTask.Rows(2, seed: 1));
        var unknownWord = Options(PromptVerbalizerKind.Manual);
        unknownWord.LabelWords = new Dictionary<string, string[]> { ["教育"] = new[] { "榴莲" }, ["经济"] = new[] { "经济" }, ["体育"] = new[] { "体育" } };
        Assert.Contains("榴莲", Assert.ThrowsAny<Exception>(() => ml.MulticlassClassification.Trainers.PromptErnie(unknownWord).Fit(train)).Message);

        var unknownLabel = Options(PromptVerbalizerKind.Manual);
        unknownLabel.LabelWords = new Dictionary<string, string[]>(Words) { ["军事"] = new[] { "军事" } };
        Assert.Contains("军事", Assert.ThrowsAny<Exception>(() => ml.MulticlassClassification.Trainers.PromptErnie(unknownLabel).Fit(train)).Message);

        var noMask = Options(PromptVerbalizerKind.Manual, "{'text':'text_a'}{'sep'}");
        Assert.Contains("mask", Assert.ThrowsAny<Exception>(() => ml.MulticlassClassification.Trainers.PromptErnie(noMask).Fit(train)).Message);

        var tooLong = Options(PromptVerbalizerKind.Manual);
        tooLong.MaxSequenceLength = 1000;
        Assert.Contains("positions", Assert.ThrowsAny<Exception>(() => ml.MulticlassClassification.Trainers.PromptErnie(tooLong).Fit(train)).Message);
    }

    private sealed class ScoreOnly
    {
        public float[] Score { get; set; }
    }
}
