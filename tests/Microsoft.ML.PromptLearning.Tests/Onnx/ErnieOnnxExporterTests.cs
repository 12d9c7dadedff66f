using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.PromptLearning.Onnx;
using Microsoft.ML.PromptLearning.Training;
using Xunit.Abstractions;
using static Microsoft.ML.PromptLearning.Tests.Onnx.OnnxTestModels;

namespace Microsoft.ML.PromptLearning.Tests.Onnx;

public class ErnieOnnxExporterTests(ITestOutputHelper output)
{
    [Fact]
    public void Float32MatchesTorchSharpOnTinyErnieWithPadding()
    {
        var (net, tokenizer) = TinyErnieFineTune();
        var examples = Encode(tokenizer, Texts);
        Assert.Contains(examples, e => e.Length == 32);                       // one text is truncated to the maximum length
        var torch = TorchProbabilities(net, examples, tokenizer.PadId);
        var onnx = OrtProbabilities(Export(net, tokenizer), examples, tokenizer.PadId);
        double diff = MaxAbsDiff(torch, onnx);
        output.WriteLine($"tiny-ernie fp32 max |Δp| = {diff:E2}");
        Assert.True(diff <= 1e-4, $"max abs difference {diff}");
        Assert.True(torch.Max(p => p.Max()) > 0.6, "probabilities should be peaked enough to mean something");
    }

    [Theory]
    [InlineData("relu", false, false)]
    [InlineData("gelu", false, true)]
    [InlineData("gelu_new", true, false)]
    public void Float32MatchesTorchSharpForOtherArchitectures(string activation, bool tie, bool taskId)
    {
        var (net, tokenizer) = RandomFineTune(activation, tie, taskId);
        var examples = Encode(tokenizer, Texts);
        var diff = MaxAbsDiff(TorchProbabilities(net, examples, tokenizer.PadId), OrtProbabilities(Export(net, tokenizer), examples, tokenizer.PadId));
        output.WriteLine($"{activation}, tie={tie}, task ids={taskId}: fp32 max |Δp| = {diff:E2}");
        Assert.True(diff <= 1e-4, $"max abs difference {diff}");
    }

    [Theory]
    [InlineData(FineTunePooling.Cls)]
    [InlineData(FineTunePooling.Mean)]
    public void EveryPoolingMatchesTorchSharpInFloat32AndStaysCloseInFloat16AndInt8(FineTunePooling pooling)
    {
        var (net, tokenizer) = TinyErnieFineTune(pooling: pooling);
        var examples = Encode(tokenizer, Texts);                              // padded batches: the mean must skip the padding
        var torch = TorchProbabilities(net, examples, tokenizer.PadId);
        double fp32 = MaxAbsDiff(torch, OrtProbabilities(Export(net, tokenizer), examples, tokenizer.PadId));
        double fp16 = MaxAbsDiff(torch, OrtProbabilities(Export(net, tokenizer, OnnxPrecision.Float16), examples, tokenizer.PadId));
        double int8 = MaxAbsDiff(torch, OrtProbabilities(Export(net, tokenizer, OnnxPrecision.Int8), examples, tokenizer.PadId));
        output.WriteLine($"{pooling}: max |Δp| fp32 {fp32:E2}, fp16 {fp16:E2}, int8 {int8:E2}");
        Assert.True(fp32 <= 1e-4, $"fp32 max abs difference {fp32}");
        Assert.True(fp16 < 0.02 && int8 < 0.03, $"fp16 {fp16}, int8 {int8}");
        Assert.True(torch.Max(p => p.Max()) > 0.5, "probabilities should be peaked enough to mean something");
    }

    [Fact]
    public void GraphHasDynamicBatchAndSequenceAndTheMetadata()
    {
        var (net, tokenizer) = TinyErnieFineTune();
        using var session = new InferenceSession(Export(net, tokenizer));
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], session.InputMetadata.Keys.ToArray());
        foreach (var input in session.InputMetadata.Values)
        {
            Assert.Equal(typeof(long), input.ElementType);
            Assert.Equal(["batch", "sequence"], input.SymbolicDimensions);
        }
        var probs = session.OutputMetadata["probabilities"];
        Assert.Equal(new[] { -1, 3 }, probs.Dimensions);
        var meta = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal("[\"教育\",\"经济\",\"体育\"]", meta["labels"]);   // readable, not \\u-escaped
        Assert.Equal("32", meta["max_sequence_length"]);
        Assert.Equal("true", meta["do_lower_case"]);
        Assert.Equal("text-pair", meta["input_encoding"]);
        Assert.Equal(tokenizer.VocabText, meta["vocab"]);
        Assert.Equal(64, meta["vocab_sha256"].Length);
        Assert.Equal("Microsoft.ML.PromptLearning", session.ModelMetadata.ProducerName);
    }

    [PythonOnnxFact]
    public void PassesTheOnnxCheckerInEveryPrecision()
    {
        var dir = TestPaths.NewTempDir();
        foreach (var pooling in new[] { FineTunePooling.Pooler, FineTunePooling.Mean })
        {
            var (net, tokenizer) = TinyErnieFineTune(pooling: pooling);
            foreach (var precision in Enum.GetValues<OnnxPrecision>())
            {
                var path = Path.Combine(dir, $"model-{pooling}-{precision}.onnx");
                File.WriteAllBytes(path, Export(net, tokenizer, precision));
                var (code, text) = CheckModel(path);
                output.WriteLine($"{pooling} {precision}: {text.Trim()}");
                Assert.True(code == 0, $"onnx.checker rejected the {pooling} {precision} model: {text}");
            }
        }
    }

    [Fact]
    public void Int8KernelsStayCloseToFloat32AndAgreeOnTheClass()
    {
        var (net, tokenizer) = TinyErnieFineTune();
        var examples = Encode(tokenizer, Texts);
        var fp32 = OrtProbabilities(Export(net, tokenizer), examples, tokenizer.PadId);
        var diffs = new Dictionary<OnnxInt8Kernel, double>();
        foreach (var kernel in Enum.GetValues<OnnxInt8Kernel>())
        {
            var int8 = OrtProbabilities(Export(net, tokenizer, OnnxPrecision.Int8, kernel), examples, tokenizer.PadId);
            diffs[kernel] = MaxAbsDiff(fp32, int8);
            int agree = fp32.Zip(int8).Count(p => global::Microsoft.ML.PromptLearning.Inference.Probabilities.ArgMax(p.First) == global::Microsoft.ML.PromptLearning.Inference.Probabilities.ArgMax(p.Second));
            output.WriteLine($"int8 ({kernel}) vs fp32: max |Δp| = {diffs[kernel]:E2}, same class {agree}/{fp32.Length}");
        }
        foreach (var (kernel, diff) in diffs) Assert.True(diff < 0.03, $"{kernel}: max abs difference {diff}");
    }

    [Fact]
    public void Float16IsCloseToFloat32()
    {
        var (net, tokenizer) = TinyErnieFineTune();
        var examples = Encode(tokenizer, Texts);
        var fp32 = OrtProbabilities(Export(net, tokenizer), examples, tokenizer.PadId);
        var fp16 = OrtProbabilities(Export(net, tokenizer, OnnxPrecision.Float16), examples, tokenizer.PadId);
        double diff = MaxAbsDiff(fp32, fp16);
        output.WriteLine($"fp16 vs fp32: max |Δp| = {diff:E2}");
        Assert.True(diff < 0.02, $"max abs difference {diff}");
    }

    [Fact]
    public void Int8AndFloat16FilesAreSmaller()
    {
        var (net, tokenizer) = RandomFineTune("gelu", true, true);
        int fp32 = Export(net, tokenizer).Length, int8 = Export(net, tokenizer, OnnxPrecision.Int8).Length, fp16 = Export(net, tokenizer, OnnxPrecision.Float16).Length;
        output.WriteLine($"bytes: fp32 {fp32}, int8 {int8}, fp16 {fp16}");
        Assert.True(int8 < fp32 * 0.6 && fp16 < fp32 * 0.75);
    }
}
