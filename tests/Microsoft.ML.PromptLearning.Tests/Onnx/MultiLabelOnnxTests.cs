using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.Data;
using Microsoft.ML.PromptLearning.Onnx;

namespace Microsoft.ML.PromptLearning.Tests.Onnx;

public class MultiLabelOnnxTests
{
    private static float MaxAbsDiff(float[][] a, float[][] b) => a.Zip(b).Max(p => p.First.Zip(p.Second).Max(x => Math.Abs(x.First - x.Second)));

    private static uint[][] PredictedLabels(MLContext ml, ITransformer model, IDataView data) =>
        model.Transform(data).GetColumn<VBuffer<uint>>("PredictedLabels").Select(v => v.DenseValues().ToArray()).ToArray();

    [Fact]
    public void PromptModelExportsSigmoidsAndThresholdsThatGiveTheSameLabelSets()
    {
        var ml = new MLContext(seed: 1);
        var rows = TinyMultiLabelTask.Texts(16, seed: 3);
        var data = TinyMultiLabelTask.KeyMap(ml).Transform(ml.Data.LoadFromEnumerable(rows));
        var model = ml.MultiLabelClassification().Trainers.PromptErnie(new PromptErnieTrainer.Options
        {
            ModelPath = TestPaths.Fixture("tiny-ernie"), Prompt = "这是{'mask'}：{'text':'text_a'}", LabelWords = TinyMultiLabelTask.Words,
            MaxSteps = 8, BatchSize = 8, LearningRate = 1e-3, PromptLearningRate = 3e-2, MaxSequenceLength = 32, Seed = 5, LoggingSteps = 0, ValidationSet = data,
        }, new MultiLabelOptions { TuneThresholds = true }).Fit(data);
        using var stream = new MemoryStream();
        model.ExportToOnnx(stream);
        using var predictor = new OnnxPredictor(stream.ToArray(), new OnnxPredictorOptions { BatchSize = 4, IntraOpNumThreads = 1 });

        Assert.True(predictor.IsMultiLabel);
        Assert.Equal("multi-label", predictor.Metadata["task"]);
        Assert.Equal(model.Settings.Thresholds, predictor.Thresholds);
        Assert.False(predictor.Metadata.ContainsKey("label_parents"));
        var texts = rows.Select(r => r.Text).ToArray();
        var onnx = predictor.PredictProbabilities(texts);
        var torch = model.PredictProbabilities(texts);
        Assert.True(MaxAbsDiff(onnx, torch) <= 1e-4, $"{MaxAbsDiff(onnx, torch)}");
        Assert.Contains(onnx, p => Math.Abs(p.Sum() - 1) > 0.05);   // sigmoids, not a softmax
        var expected = PredictedLabels(ml, model, data);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i].Select(k => (int)k - 1), predictor.PredictLabelSet(onnx[i]));
        Assert.Equal(expected.Select(e => e.Select(k => TinyMultiLabelTask.Labels[k - 1]).ToArray()), predictor.PredictLabelSets(texts));
    }

    [Fact]
    public void HierarchicalModelCarriesItsLabelTree()
    {
        var ml = new MLContext(seed: 1);
        string[] labels = ["A", "A##x", "B", "B##y"];
        var keyMap = ml.Transforms.Conversion.MapValueToKey("Label", "Labels", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByOccurrence)
            .Fit(ml.Data.LoadFromEnumerable(new[] { new MultiLabeledText { Text = "", Labels = labels } }));
        var rows = TinyMultiLabelTask.Rows(12, seed: 7).Select(r => new MultiLabeledText
        {
            Text = r.Text, Labels = r.Labels.Contains(0) ? ["A", "A##x"] : r.Labels.Contains(1) ? ["B", "B##y"] : [],
        }).ToList();
        var data = keyMap.Transform(ml.Data.LoadFromEnumerable(rows));
        var model = ml.MultiLabelClassification().Trainers.ErnieTextClassification(new ErnieTextClassificationTrainer.Options
        {
            ModelPath = TestPaths.Fixture("tiny-ernie"), MaxSteps = 3, BatchSize = 8, MaxSequenceLength = 32, Seed = 3, LoggingSteps = 0,
        }, new MultiLabelOptions { Threshold = 0.45f }).Fit(data);
        using var stream = new MemoryStream();
        model.ExportToOnnx(stream);
        using var predictor = new OnnxPredictor(stream.ToArray(), new OnnxPredictorOptions { IntraOpNumThreads = 1 });
        Assert.Equal("hierarchical", predictor.Metadata["task"]);
        Assert.Equal(new[] { -1, 0, -1, 2 }, JsonSerializer.Deserialize<int[]>(predictor.Metadata["label_parents"]));
        Assert.Equal(new[] { 0, 1 }, predictor.PredictLabelSet([0.1f, 0.9f, 0.2f, 0.3f]));   // the child brings its parent
        Assert.Equal(new[] { 2 }, predictor.PredictLabelSet([0.1f, 0.2f, 0.5f, 0.3f]));
        var expected = PredictedLabels(ml, model, data);
        var sets = predictor.PredictLabelSets(rows.Select(r => r.Text).ToArray());
        Assert.Equal(expected.Select(e => e.Select(k => labels[k - 1]).ToArray()), sets);
    }
}
