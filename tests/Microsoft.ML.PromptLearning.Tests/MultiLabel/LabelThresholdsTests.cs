using Microsoft.ML.PromptLearning.MultiLabel;

namespace Microsoft.ML.PromptLearning.Tests.MultiLabel;

public class LabelThresholdsTests
{
    [Fact]
    public void ApplyKeepsLabelsStrictlyAboveTheirThreshold()
    {
        Assert.Equal(new[] { 1, 2 }, LabelThresholds.Apply([0.5f, 0.51f, 0.9f]));
        Assert.Equal(new[] { 0 }, LabelThresholds.Apply([0.3f, 0.51f, 0.9f], [0.25f, 0.6f, 0.95f]));
        Assert.Throws<ArgumentException>(() => LabelThresholds.Apply([0.3f], [0.1f, 0.2f]));
    }

    [Fact]
    public void TuningPicksEachLabelsBestF1AndKeepsTheDefaultOtherwise()
    {
        // label 0: positives at 0.3 and 0.6, negatives at 0.2 and 0.1 → 0.5 gives F1 2/3, anything in [0.2, 0.3) gives 1;
        //          0.25 is the nearest such candidate to 0.5
        // label 1: no positive row → keeps 0.5
        // label 2: 0.5 already separates (0.7/0.8 positive, 0.4/0.05 negative) → keeps 0.5
        var probs = new[] { new[] { 0.3f, 0.9f, 0.7f }, new[] { 0.2f, 0.8f, 0.4f }, new[] { 0.6f, 0.1f, 0.8f }, new[] { 0.1f, 0.2f, 0.05f } };
        IReadOnlyCollection<int>[] gold = [[0, 2], [], [0, 2], []];
        Assert.Equal(new[] { 0.25f, 0.5f, 0.5f }, LabelThresholds.Tune(probs, gold, 3));
    }
}
