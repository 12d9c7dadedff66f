using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.Prompting;

namespace Microsoft.ML.PromptLearning.Tests.MLNet;

/// <summary>A prompt model zip and a checkpoint written by an earlier version load and give the scores they were saved with.</summary>
public class PromptFormatCompatibilityTests
{
    private static string Folder => Path.Combine(TestPaths.Fixtures, "prompt-formats-1.2");

    private static (List<string> Texts, List<float[]> Scores) Expected()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json")));
        var texts = json.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()).ToList();
        var scores = json.RootElement.GetProperty("maskedlm").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToList();
        return (texts, scores);
    }

    private static void AssertScores(MLContext ml, ITransformer model)
    {
        var (texts, expected) = Expected();
        var rows = ml.Data.LoadFromEnumerable(texts.Select(t => new TinyTask.Row { Text = t, Label = "教育" }));
        var scores = model.Transform(rows).GetColumn<float[]>("Score").ToList();
        Assert.Equal(expected.Count, scores.Count);
        for (int i = 0; i < scores.Count; i++)
        for (int c = 0; c < 3; c++) Assert.Equal(expected[i][c], scores[i][c], 1e-6);
    }

    [Fact]
    public void MaskedLMZipOfTheEarlierFormatGivesTheScoresItWasSavedWith()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Model.Load(Path.Combine(Folder, "maskedlm.zip"), out _);
        AssertScores(ml, model);
        var prompt = Assert.IsType<PromptErnieTransformer>(((TransformerChain<ITransformer>)model).LastTransformer);
        Assert.Equal(PromptVerbalizerKind.MaskedLM, prompt.Verbalizer);
        Assert.Equal("这是{'mask'}{'mask'}：{'text': 'text_a'}", prompt.Template.ToString());
    }

    [Fact]
    public void CheckpointOfTheEarlierFormatResumesToTheSavedModel()
    {
        using var dir = new TempDirectory();
        var ml = new MLContext(seed: 1);
        var (train, keyMap) = TinyTask.Load(ml, TinyTask.Rows(6, seed: 3));
        var options = new PromptErnieTrainer.Options
        {
            ModelPath = TestPaths.Fixture("tiny-ernie"), Prompt = "这是{'mask'}{'mask'}：{'text':'text_a'}",
            LabelWords = new Dictionary<string, string[]> { ["教育"] = new[] { "教育" }, ["经济"] = new[] { "经济" }, ["体育"] = new[] { "体育" } },
            Verbalizer = PromptVerbalizerKind.MaskedLM,
            MaxSteps = 5, BatchSize = 8, LearningRate = 2e-3, PromptLearningRate = 1e-2, MaxSequenceLength = 32, Seed = 5, LoggingSteps = 0,
            CheckpointDirectory = dir.Path, SaveSteps = 5, SaveTotalLimit = 1, ResumeFromCheckpoint = Path.Combine(Folder, "checkpoint-5"),
        };
        var model = ml.MulticlassClassification.Trainers.PromptErnie(options).Fit(train);
        Assert.Equal(5, model.TrainingReport.Steps);
        AssertScores(ml, keyMap.Append(model));
    }

    [Fact]
    public void CheckpointConfigFilesOfTheEarlierFormatRead()
    {
        var checkpoint = Path.Combine(Folder, "checkpoint-5");
        Assert.Equal("这是{'mask'}{'mask'}：{'text': 'text_a'}", Template.Load(checkpoint).ToString());
        using var scope = TorchSharp.torch.NewDisposeScope();
        var plm = Microsoft.ML.PromptLearning.Ernie.ErnieCheckpoint.Load(TestPaths.Fixture("tiny-ernie"));
        var verbalizer = Assert.IsType<MaskedLMVerbalizer>(Verbalizer.Load(checkpoint, plm.Model, plm.Tokenizer));
        Assert.Equal(new[] { "教育", "经济", "体育" }, verbalizer.Labels);
        Assert.Equal(2, verbalizer.WordLength);
    }
}
