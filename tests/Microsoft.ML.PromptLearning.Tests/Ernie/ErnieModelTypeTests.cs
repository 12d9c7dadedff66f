using System.Text.Json.Nodes;
using Microsoft.ML.PromptLearning.Ernie;

namespace Microsoft.ML.PromptLearning.Tests.Ernie;

public class ErnieModelTypeTests
{
    [Theory]
    [InlineData("{\"model_type\": \"ernie\"}", ErnieModelType.Ernie)]
    [InlineData("{\"model_type\": \"BERT\"}", ErnieModelType.Bert)]
    [InlineData("{\"architectures\": [\"BertForMaskedLM\"]}", ErnieModelType.Bert)]
    [InlineData("{}", ErnieModelType.Ernie)]
    public void ModelTypeIsReadFromConfigJsonAndWrittenBackAsItsName(string json, ErnieModelType expected)
    {
        var config = ErnieConfig.FromJson(JsonNode.Parse(json)!.AsObject());
        Assert.Equal(expected, config.ModelType);
        Assert.Equal(expected == ErnieModelType.Bert ? "bert" : "ernie", config.ToJson()["model_type"]!.GetValue<string>());
        Assert.Equal(expected, ErnieConfig.FromJson(config.ToJson()).ModelType);
    }

    [Fact]
    public void UnknownModelTypeNamesTheAllowedOnes()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, "{\"model_type\": \"roberta\"}");
        var e = Assert.Throws<InvalidDataException>(() => ErnieConfig.Load(path));
        Assert.Contains("model_type 'roberta' is not supported; expected ernie or bert", e.Message);
    }
}
