using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.PromptLearning.Onnx;
using Microsoft.ML.PromptLearning.Onnx.Proto;
using static Microsoft.ML.PromptLearning.Tests.Onnx.OnnxTestModels;

namespace Microsoft.ML.PromptLearning.Tests.Onnx;

/// <summary>
/// Damaged and foreign ONNX files given to <see cref="OnnxPredictor"/> and <see cref="OnnxScoringPipeline.FromOnnxModel"/>:
/// an <see cref="InvalidDataException"/> that names the file, says what is wrong and what to do.
/// </summary>
public class DamagedOnnxModelTests
{
    private static byte[] Exported()
    {
        var (net, tokenizer) = TinyErnieFineTune();
        using (net) return Export(net, tokenizer);
    }

    private static string Write(byte[] bytes)
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "model.onnx");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Both entry points refuse <paramref name="path"/>; returns the two messages.</summary>
    private static (string Predictor, string Pipeline) Refused(string path)
    {
        var predictor = Assert.Throws<InvalidDataException>(() => new OnnxPredictor(path));
        var pipeline = Assert.Throws<InvalidDataException>(() => OnnxScoringPipeline.FromOnnxModel(new MLContext(), path));
        Assert.Contains(path, predictor.Message);
        Assert.Contains(path, pipeline.Message);
        return (predictor.Message, pipeline.Message);
    }

    private static byte[] WithMetadata(byte[] onnx, Action<Google.Protobuf.Collections.RepeatedField<StringStringEntryProto>> edit)
    {
        var model = ModelProto.Parser.ParseFrom(onnx);
        edit(model.MetadataProps);
        return model.ToByteArray();
    }

    [Fact]
    public void ATruncatedFileAsksToExportAgain()
    {
        var bytes = Exported();
        var (predictor, pipeline) = Refused(Write(bytes[..(bytes.Length / 2)]));
        Assert.Contains("export it again", predictor);
        Assert.Contains("export it again", pipeline);
    }

    [Fact]
    public void AModelZipIsNotAnOnnxModel()
    {
        var (predictor, pipeline) = Refused(Write(File.ReadAllBytes(Path.Combine(TestPaths.Fixtures, "model-zips-1.1", "prompt.zip"))));
        Assert.Contains("LoadPromptModel", predictor);
        Assert.Contains("LoadPromptModel", pipeline);
    }

    [Fact]
    public void AnOnnxModelWithoutOurMetadataWasNotExportedByThisPackage()
    {
        var (predictor, pipeline) = Refused(Write(WithMetadata(Exported(), m => m.Clear())));
        Assert.Contains("not exported by Microsoft.ML.PromptLearning (use transformer.ExportToOnnx)", predictor);
        Assert.Contains("not exported by Microsoft.ML.PromptLearning (use transformer.ExportToOnnx)", pipeline);
    }

    [Theory]
    [InlineData("2", "newer version of Microsoft.ML.PromptLearning (format 2; this version reads format 1). Update the Microsoft.ML.PromptLearning package")]
    [InlineData("one", "'prompt_learning_format' metadata is 'one', not an integer")]
    public void MetadataOfANewerOrUnknownFormatIsExplained(string format, string expected)
    {
        var (predictor, pipeline) = Refused(Write(WithMetadata(Exported(), m => m.Single(e => e.Key == OnnxModelMetadata.FormatVersionKey).Value = format)));
        Assert.Contains(expected, predictor);
        Assert.Contains(expected, pipeline);
    }

    [Theory]
    [InlineData("max_sequence_length", "lots", "'max_sequence_length' metadata is 'lots', not an integer")]
    [InlineData("do_lower_case", "yes", "'do_lower_case' is 'yes', not true or false")]
    [InlineData("labels", "[]", "lists no label names")]
    [InlineData("input_encoding", "sentencepiece", "input encoding 'sentencepiece' is not one this version")]
    public void DamagedMetadataIsNamed(string key, string value, string expected)
    {
        var (predictor, _) = Refused(Write(WithMetadata(Exported(), m => m.Single(e => e.Key == key).Value = value)));
        Assert.Contains(expected, predictor);
    }
}
