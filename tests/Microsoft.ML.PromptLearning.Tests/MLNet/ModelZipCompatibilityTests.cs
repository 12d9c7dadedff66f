using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Microsoft.ML.PromptLearning.Tests.MLNet;

/// <summary>Model zips written by an earlier version of the package load and score as they did when saved.</summary>
public class ModelZipCompatibilityTests
{
    private static string Folder => Path.Combine(TestPaths.Fixtures, "model-zips-1.1");

    [Theory]
    [InlineData("finetune")]
    [InlineData("prompt")]
    public void ZipsOfTheEarlierFormatGiveTheScoresTheyWereSavedWith(string name)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json")));
        var texts = json.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()).ToList();
        var expected = json.RootElement.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToList();
        var ml = new MLContext(seed: 1);
        var model = ml.Model.Load(Path.Combine(Folder, name + ".zip"), out _);
        var rows = ml.Data.LoadFromEnumerable(texts.Select(t => new TinyTask.Row { Text = t, Label = "教育" }));
        var scores = model.Transform(rows).GetColumn<float[]>("Score").ToList();
        Assert.Equal(expected.Count, scores.Count);
        for (int i = 0; i < scores.Count; i++)
        for (int c = 0; c < 3; c++) Assert.Equal(expected[i][c], scores[i][c], 1e-6);
        var last = ((TransformerChain<ITransformer>)model).LastTransformer;
        if (name == "finetune") Assert.Equal(FineTunePooling.Pooler, Assert.IsType<ErnieTextClassificationTransformer>(last).Pooling);   // the only head that format knew
        else Assert.IsType<PromptErnieTransformer>(last);
        // Zips from before the scoring choice existed score with TorchSharp in float32.
        Assert.Equal(ScoringEngine.TorchSharp, ((ErnieClassifierTransformerBase)last).ScoringEngine);
        Assert.Equal(ScoringPrecision.Float32, ((ErnieClassifierTransformerBase)last).ScoringPrecision);
    }
}
