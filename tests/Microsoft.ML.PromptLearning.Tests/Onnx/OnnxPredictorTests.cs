using Microsoft.ML;
using Microsoft.ML.PromptLearning.Onnx;
using Microsoft.ML.PromptLearning.Training;
using Xunit.Abstractions;
using static Microsoft.ML.PromptLearning.Tests.Onnx.OnnxTestModels;

namespace Microsoft.ML.PromptLearning.Tests.Onnx;

/// <summary>A fine-tune transformer trained once on the tiny task for all tests of this class.</summary>
public sealed class FittedTinyClassifier : IDisposable
{
    public FittedTinyClassifier()
    {
        var ml = new MLContext(seed: 1);
        var (train, _) = TinyTask.Load(ml, TinyTask.Rows(12, seed: 1));
        Model = ml.MulticlassClassification.Trainers.ErnieTextClassification(new ErnieTextClassificationTrainer.Options
        {
            ModelPath = TestPaths.Fixture("tiny-ernie"), MaxSteps = 60, BatchSize = 8, LearningRate = 1e-3, ClassifierLearningRate = 1e-2,
            MaxSequenceLength = 32, Seed = 3, LoggingSteps = 0,
        }).Fit(train);
        Texts = TinyTask.Rows(20, seed: 9).Select(r => r.Text).Concat(OnnxTestModels.Texts).ToArray();
        Labels = TinyTask.Rows(20, seed: 9).Select(r => r.Label).ToArray();
    }

    public ErnieTextClassificationTransformer Model { get; }
    /// <summary>40 unseen task texts (their labels in <see cref="Labels"/>) followed by the varied-length texts.</summary>
    public string[] Texts { get; }
    public string[] Labels { get; }

    public byte[] Export(OnnxExportOptions options = null)
    {
        using var stream = new MemoryStream();
        Model.ExportToOnnx(stream, options);
        return stream.ToArray();
    }

    public void Dispose() => Model.Dispose();
}

public class OnnxPredictorTests(FittedTinyClassifier fitted, ITestOutputHelper output) : IClassFixture<FittedTinyClassifier>
{
    [Fact]
    public void PredictorMatchesTheTransformerAndOnnxRuntimeCalledDirectly()
    {
        var model = fitted.Export();
        using var predictor = new OnnxPredictor(model, new OnnxPredictorOptions { BatchSize = 4, IntraOpNumThreads = 1 });
        Assert.Equal(TinyTask.Labels, predictor.LabelNames);
        Assert.Equal(32, predictor.MaxSequenceLength);
        Assert.Equal(OnnxExecutionProvider.Cpu, predictor.ExecutionProvider);

        var viaPredictor = predictor.PredictProbabilities(fitted.Texts);
        var direct = OrtProbabilities(model, Encode(predictor.Tokenizer, fitted.Texts), predictor.Tokenizer.PadId);
        var torch = fitted.Model.PredictProbabilities(fitted.Texts);
        double predictorVsDirect = MaxAbsDiff(viaPredictor, direct), predictorVsTorch = MaxAbsDiff(viaPredictor, torch);
        output.WriteLine($"predictor vs ORT direct: {predictorVsDirect:E2}; predictor vs TorchSharp transformer: {predictorVsTorch:E2}");
        Assert.True(predictorVsDirect <= 1e-5, $"{predictorVsDirect}");
        Assert.True(predictorVsTorch <= 1e-4, $"{predictorVsTorch}");
        for (int i = 0; i < 5; i++) Assert.Equal(viaPredictor[i], predictor.PredictProbabilities(fitted.Texts[i]), new ToleranceComparer(1e-5f));
        Assert.Equal(fitted.Labels[0], predictor.PredictLabel(fitted.Texts[0]));
    }

    [Fact]
    public void Int8KeepsTheTinyTaskPredictions()
    {
        var fp32 = fitted.Model.PredictProbabilities(fitted.Texts);
        using var predictor = new OnnxPredictor(fitted.Export(new OnnxExportOptions { Precision = OnnxPrecision.Int8 }));
        var int8 = predictor.PredictProbabilities(fitted.Texts);
        int agree = fp32.Zip(int8).Count(p => global::Microsoft.ML.PromptLearning.Inference.Probabilities.ArgMax(p.First) == global::Microsoft.ML.PromptLearning.Inference.Probabilities.ArgMax(p.Second));
        int Correct(float[][] p) => fitted.Labels.Select((l, i) => predictor.LabelNames[global::Microsoft.ML.PromptLearning.Inference.Probabilities.ArgMax(p[i])] == l).Count(x => x);
        double diff = MaxAbsDiff(fp32, int8);
        output.WriteLine($"int8 vs TorchSharp on {fp32.Length} texts: max |Δp| = {diff:E2}, same class {agree}/{fp32.Length}, " +
                         $"task accuracy int8 {Correct(int8)}/{fitted.Labels.Length}, fp32 {Correct(fp32)}/{fitted.Labels.Length}");
        // int8 may flip a near-tie; more than one flip in 47 texts, or a larger accuracy change, is a regression.
        Assert.True(agree >= fp32.Length - 1, $"int8 agrees with fp32 on {agree}/{fp32.Length} texts");
        Assert.InRange(Correct(int8), Correct(fp32) - 1, Correct(fp32) + 1);
        Assert.True(diff < 0.1, $"{diff}");
    }

    [Fact]
    public void ModelFileWithoutVocabularyNeedsTheMatchingVocabFile()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "model.onnx");
        fitted.Model.ExportToOnnx(path, new OnnxExportOptions { EmbedVocabulary = false });
        var missing = Assert.Throws<InvalidOperationException>(() => new OnnxPredictor(path));
        Assert.Contains("VocabularyPath", missing.Message);

        var wrongVocab = Path.Combine(dir, "wrong.txt");
        File.WriteAllText(wrongVocab, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n学\n");
        var wrong = Assert.Throws<InvalidDataException>(() => new OnnxPredictor(path, new OnnxPredictorOptions { VocabularyPath = wrongVocab }));
        Assert.Contains("SHA-256", wrong.Message);

        using var predictor = new OnnxPredictor(path, new OnnxPredictorOptions { VocabularyPath = Path.Combine(TestPaths.Fixture("tiny-ernie"), "vocab.txt") });
        Assert.Equal(fitted.Model.PredictProbabilities([fitted.Texts[0]])[0], predictor.PredictProbabilities(fitted.Texts[0]), new ToleranceComparer(1e-4f));
    }

    [Fact]
    public void CudaRequestFailsClearlyUnlessFallbackIsAllowed()
    {
        var model = fitted.Export();
        var e = Assert.Throws<InvalidOperationException>(() => new OnnxPredictor(model, new OnnxPredictorOptions { UseCuda = true }));
        output.WriteLine(e.Message);
        Assert.Contains("FallbackToCpu", e.Message);
        using var fallback = new OnnxPredictor(model, new OnnxPredictorOptions { UseCuda = true, FallbackToCpu = true });
        Assert.Equal(OnnxExecutionProvider.Cpu, fallback.ExecutionProvider);
        Assert.Equal(3, fallback.PredictProbabilities("学生").Length);
    }

    [Fact]
    public void ForeignModelsAreRejectedWithAnExplanation()
    {
        var b = new OnnxGraphBuilder("foreign");
        var x = b.Input("x", OnnxType.Float, "batch", 2);
        b.Output(b.Node("Relu", [x], "y"), OnnxType.Float, "batch", 2);
        var bytes = Google.Protobuf.MessageExtensions.ToByteArray(b.Build("someone", "1", ""));
        var e = Assert.Throws<InvalidDataException>(() => new OnnxPredictor(bytes));
        Assert.Contains("ExportToOnnx", e.Message);
        Assert.Throws<FileNotFoundException>(() => new OnnxPredictor("/nonexistent/model.onnx"));
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
