using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.Onnx;
using Microsoft.ML.PromptLearning.Tests.Onnx;
using Xunit.Abstractions;
using static Microsoft.ML.PromptLearning.Tests.Onnx.OnnxTestModels;

namespace Microsoft.ML.PromptLearning.Tests.MLNet;

public class OnnxScoringPipelineTests(FittedTinyClassifier fitted, ITestOutputHelper output) : IClassFixture<FittedTinyClassifier>
{
    [Fact]
    public void PipelineScoresLikeTheTransformerAndSurvivesSaveAndLoadInAnotherProcess()
    {
        var ml = new MLContext(seed: 1);
        var pipeline = fitted.Model.ToOnnxScoringPipeline(ml);
        var rows = fitted.Texts.Select(t => new TinyTask.Row { Text = t, Label = "" }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var scored = pipeline.Transform(data);
        Assert.Null(scored.Schema.GetColumnOrNull("input_ids"));                       // intermediate columns are dropped
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        var torch = fitted.Model.PredictProbabilities(fitted.Texts);
        double diff = MaxAbsDiff(torch, scores);
        output.WriteLine($"ML.NET ONNX pipeline vs TorchSharp transformer: max |Δp| = {diff:E2}");
        Assert.True(diff <= 1e-4, $"{diff}");

        // PredictedLabel is a key over the label names, so MapKeyToValue gives names back.
        var named = ml.Transforms.Conversion.MapKeyToValue("PredictedName", "PredictedLabel").Fit(scored).Transform(scored);
        var names = named.GetColumn<string>("PredictedName").ToArray();
        Assert.Equal(torch.Select(p => TinyTask.Labels[global::Microsoft.ML.PromptLearning.Inference.Probabilities.ArgMax(p)]), names);

        var path = Path.Combine(TestPaths.NewTempDir(), "onnx-pipeline.zip");
        ml.Model.Save(pipeline, data.Schema, path);
        var loaded = ml.Model.Load(path, out _);
        var reloaded = loaded.Transform(data).GetColumn<float[]>("Score").ToArray();
        Assert.Equal(scores, reloaded);
        var elsewhere = SeparateProcess.Score(path, fitted.Texts);
        for (int i = 0; i < scores.Length; i++) Assert.Equal(scores[i], elsewhere[i]);
    }

    [Fact]
    public void PipelineFromAnOnnxFile()
    {
        var ml = new MLContext();
        var path = Path.Combine(TestPaths.NewTempDir(), "model.onnx");
        fitted.Model.ExportToOnnx(path, new OnnxExportOptions { Precision = OnnxPrecision.Int8 });
        var pipeline = OnnxScoringPipeline.FromOnnxModel(ml, path);
        var data = ml.Data.LoadFromEnumerable(fitted.Texts.Take(5).Select(t => new TinyTask.Row { Text = t, Label = "" }));
        using var predictor = new OnnxPredictor(path);
        var expected = predictor.PredictProbabilities(fitted.Texts.Take(5).ToList());
        var actual = pipeline.Transform(data).GetColumn<float[]>("Score").ToArray();
        // int8 activations are quantized with one scale per tensor, so a row scored alone (ML.NET: batch 1) and in a
        // padded batch (the predictor) differ slightly.
        double diff = MaxAbsDiff(expected, actual);
        output.WriteLine($"int8: ML.NET pipeline (batch 1) vs predictor (padded batches): max |Δp| = {diff:E2}");
        Assert.True(diff <= 0.06, $"{diff}");
    }
}
