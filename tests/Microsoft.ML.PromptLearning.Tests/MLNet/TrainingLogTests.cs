using Microsoft.ML;
using Microsoft.ML.Runtime;
using Microsoft.ML.PromptLearning.Training;

namespace Microsoft.ML.PromptLearning.Tests.MLNet;

/// <summary>Fit reports its progress as ML.NET trainers do: Info messages of the MLContext.Log event (source "PromptErnieTrainer; Training").</summary>
public class TrainingLogTests
{
    [Fact]
    public void FitWritesProgressWithPercentAndTimeLeftToMLContextLog()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => { if (e.Source == "PromptErnieTrainer; Training" && e.Kind == ChannelMessageKind.Info) lock (messages) messages.Add(e.RawMessage); };
        var (train, _) = TinyTask.Load(ml, TinyTask.Rows(4, seed: 1));
        var events = new List<TrainingProgress>();
        ml.MulticlassClassification.Trainers.PromptErnie(new PromptErnieTrainer.Options
        {
            ModelPath = TestPaths.Fixture("tiny-ernie"), Prompt = "这是{'mask'}：{'text':'text_a'}",
            LabelWords = new Dictionary<string, string[]> { ["教育"] = new[] { "教育" }, ["经济"] = new[] { "经济" }, ["体育"] = new[] { "体育" } },
            MaxSteps = 4, LoggingSteps = 2, BatchSize = 4, MaxSequenceLength = 32, ValidationSet = train, EvalSteps = 4,
            Progress = events.Add,
        }).Fit(train);

        Assert.True(messages.Any(m => m.StartsWith("PromptErnie: 8 training examples", StringComparison.Ordinal)), string.Join("\n", messages));
        Assert.Contains(messages, m => m.StartsWith("step 2/4 (50%) loss ", StringComparison.Ordinal) && m.EndsWith(" left)", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("step 4/4 (100%) loss ", StringComparison.Ordinal) && m.Contains("0:00 left"));
        Assert.Contains(messages, m => m.StartsWith("eval step 4: validation accuracy ", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("PromptErnie: 4 steps in ", StringComparison.Ordinal));
        Assert.Equal(4, events.Count(e => e.Kind == TrainingEventKind.Step));
        Assert.Single(events, e => e.Kind == TrainingEventKind.Evaluation);
    }

    [Theory]
    [InlineData(10, 5, 5, "0:10")]
    [InlineData(90, 1, 1, "1:30")]
    [InlineData(3600, 1, 2, "2:00:00")]
    [InlineData(5, 0, 3, "0:00")]
    public void TimeLeftIsMinutesAndSeconds(double elapsedSeconds, long done, long left, string expected) =>
        Assert.Equal(expected, ClassifierTrainingLoop.TimeLeft(TimeSpan.FromSeconds(elapsedSeconds), done, left));
}
