using Microsoft.ML.PromptLearning.Onnx;

namespace Microsoft.ML.PromptLearning.Tests.Onnx;

public class OnnxModelMetadataTests
{
    private static Dictionary<string, string> Map(string precision)
    {
        var map = new Dictionary<string, string>
        {
            [OnnxModelMetadata.FormatVersionKey] = OnnxModelMetadata.CurrentFormatVersion, [OnnxModelMetadata.InputEncodingKey] = "text_pair",
            [OnnxModelMetadata.LabelsKey] = "[\"a\",\"b\"]", [OnnxModelMetadata.MaxSequenceLengthKey] = "32", [OnnxModelMetadata.DoLowerCaseKey] = "true",
        };
        if (precision is not null) map[OnnxModelMetadata.PrecisionKey] = precision;
        return map;
    }

    [Theory]
    [InlineData("float32", OnnxPrecision.Float32)]
    [InlineData("int8", OnnxPrecision.Int8)]
    [InlineData("float16", OnnxPrecision.Float16)]
    [InlineData(null, null)]
    public void PrecisionIsReadAsTheEnumItWasWrittenFrom(string text, OnnxPrecision? expected)
    {
        Assert.Equal(expected, OnnxModelMetadata.Read(Map(text), "model.onnx").Precision);
        if (expected is { } p) Assert.Equal(text, OnnxModelMetadata.PrecisionName(p));
    }

    [Fact]
    public void UnknownPrecisionNamesTheAllowedOnes()
    {
        var e = Assert.Throws<InvalidDataException>(() => OnnxModelMetadata.Read(Map("bfloat16"), "model.onnx"));
        Assert.Equal("model.onnx: the 'precision' metadata is 'bfloat16'; expected one of float32, int8, float16.", e.Message);
    }
}
