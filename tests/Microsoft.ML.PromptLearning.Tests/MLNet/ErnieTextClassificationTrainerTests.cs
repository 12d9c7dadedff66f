using Microsoft.ML;
using Microsoft.ML.Data;

namespace Microsoft.ML.PromptLearning.Tests.MLNet;

public class ErnieTextClassificationTrainerTests
{
    private static ErnieTextClassificationTrainer.Options Options() => new()
    {
        ModelPath = TestPaths.Fixture("tiny-ernie"), MaxSteps = 60, BatchSize = 8, LearningRate = 1e-3, ClassifierLearningRate = 1e-2,
        MaxSequenceLength = 32, Seed = 3, LoggingSteps = 0,
    };

    [Fact]
    public void TheSameSeedGivesByteIdenticalWeightsEvenForAPoolerTheCheckpointLacks()
    {
        // The bundled model has no pooler weights, so Pooler starts from a random layer: it must come from the seed.
        string Hash(int seed)
        {
            var ml = new MLContext(seed: 1);
            var (train, _) = TinyTask.Load(ml, TinyTask.Rows(2, seed: 1));
            var options = new ErnieTextClassificationTrainer.Options { MaxSteps = 1, Pooling = FineTunePooling.Pooler, Seed = seed, LoggingSteps = 0, MaxSequenceLength = 16 };
            using var model = ml.MulticlassClassification.Trainers.ErnieTextClassification(options).Fit(train);
            using var sha = System.Security.Cryptography.SHA256.Create();
            foreach (var (name, p) in model.Net.named_parameters())
            {
                var bytes = p.detach().cpu().data<float>().ToArray().SelectMany(BitConverter.GetBytes).ToArray();
                sha.TransformBlock(System.Text.Encoding.UTF8.GetBytes(name), 0, name.Length, null, 0);
                sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
            }
            sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
            return Convert.ToHexString(sha.Hash!);
        }
        var first = Hash(7);
        Assert.Equal(first, Hash(7));
        Assert.NotEqual(first, Hash(8));
    }

    [Fact]
    public void TrainingReportsHowManyTextsWereCutAndByHowMuch()
    {
        var ml = new MLContext(seed: 1);
        var rows = TinyTask.Rows(6, seed: 1);
        var (train, _) = TinyTask.Load(ml, rows);
        var options = Options();
        options.MaxSteps = 1;
        options.MaxSequenceLength = 8;   // [CLS] + 6 characters + [SEP]: the tiny texts have 4 to 8 characters
        var report = ml.MulticlassClassification.Trainers.ErnieTextClassification(options).Fit(train).TrainingReport;
        var cut = rows.Where(r => r.Text.Length > 6).ToList();
        Assert.Equal(cut.Count, report.TruncatedTrainingTexts);
        Assert.True(cut.Count > 0);
        double expected = cut.Average(r => (r.Text.Length - 6.0) / (r.Text.Length + 2));
        Assert.Equal(expected, report.MeanDroppedShare, 1e-9);
        options.MaxSequenceLength = 32;
        Assert.Equal(0, ml.MulticlassClassification.Trainers.ErnieTextClassification(options).Fit(train).TrainingReport.TruncatedTrainingTexts);
    }

    [Fact]
    public void LearnsASeparableTaskAndWorksWithEvaluateAndPredictionEngine()
    {
        var ml = new MLContext(seed: 1);
        var (train, _) = TinyTask.Load(ml, TinyTask.Rows(12, seed: 1));
        var model = ml.MulticlassClassification.Trainers.ErnieTextClassification(Options()).Fit(train);

        var scored = model.Transform(train);
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.Equal(1.0, metrics.MicroAccuracy);
        Assert.Equal(3, ((VectorDataViewType)scored.Schema["Score"].Type).Size);     // the unseen third class still has a score
        Assert.NotNull(model.TrainingReport);
        Assert.Equal(60, model.TrainingReport.Steps);

        // PredictionEngine (row-at-a-time path) agrees with the batched Transform.
        var engine = ml.Model.CreatePredictionEngine<TinyTask.Row, Prediction>(model);
        var batchedScores = scored.GetColumn<float[]>("Score").ToList();
        var rows = TinyTask.Rows(12, seed: 1);
        for (int i = 0; i < 5; i++)
        {
            var p = engine.Predict(rows[i]);
            Assert.Equal(batchedScores[i].Length, p.Score.Length);
            for (int c = 0; c < p.Score.Length; c++) Assert.Equal(batchedScores[i][c], p.Score[c], 1e-5);
        }
    }

    [Theory]
    [InlineData(FineTunePooling.Auto, FineTunePooling.Pooler)]   // tiny-ernie has pooler weights
    [InlineData(FineTunePooling.Mean, FineTunePooling.Mean)]
    public void SavedZipReloadsWithIdenticalScores(FineTunePooling requested, FineTunePooling resolved)
    {
        var ml = new MLContext(seed: 1);
        var (train, keyMap) = TinyTask.Load(ml, TinyTask.Rows(6, seed: 2));
        var options = Options();
        options.MaxSteps = 5;
        options.Pooling = requested;
        var model = ml.MulticlassClassification.Trainers.ErnieTextClassification(options).Fit(train);
        Assert.Equal(resolved, model.Pooling);
        var chain = keyMap.Append(model);
        var path = Path.Combine(TestPaths.NewTempDir(), "model.zip");
        var raw = ml.Data.LoadFromEnumerable(TinyTask.Rows(6, seed: 2));
        ml.Model.Save(chain, raw.Schema, path);
        var loaded = ml.Model.Load(path, out _);
        Assert.Equal(resolved, ((ErnieTextClassificationTransformer)((TransformerChain<ITransformer>)loaded).LastTransformer).Pooling);
        var before = chain.Transform(raw).GetColumn<float[]>("Score").ToList();
        var after = loaded.Transform(raw).GetColumn<float[]>("Score").ToList();
        Assert.Equal(before.Count, after.Count);
        for (int i = 0; i < before.Count; i++) Assert.Equal(before[i], after[i]);
        var elsewhere = SeparateProcess.Score(path, TinyTask.Rows(6, seed: 2).Select(r => r.Text));
        for (int i = 0; i < before.Count; i++) Assert.Equal(before[i], elsewhere[i]);
    }

    [Fact]
    public void SchemaErrorsSayWhatToDo()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(TinyTask.Rows(2, 1));
        var notKey = Assert.ThrowsAny<Exception>(() => ml.MulticlassClassification.Trainers.ErnieTextClassification(Options()).Fit(data));
        Assert.Contains("MapValueToKey", notKey.Message);
        var (keyed, _) = TinyTask.Load(ml, TinyTask.Rows(2, 1));
        var o = Options();
        o.TextColumnName = "Title";
        var missing = Assert.ThrowsAny<Exception>(() => ml.MulticlassClassification.Trainers.ErnieTextClassification(o).Fit(keyed));
        Assert.Contains("'Title' is missing", missing.Message);
        var badPooling = Options();
        badPooling.Pooling = (FineTunePooling)9;
        var pooling = Assert.ThrowsAny<ArgumentException>(() => ml.MulticlassClassification.Trainers.ErnieTextClassification(badPooling));
        Assert.Contains("Unknown pooling 9", pooling.Message);
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; }
        public uint PredictedLabel { get; set; }
    }
}
