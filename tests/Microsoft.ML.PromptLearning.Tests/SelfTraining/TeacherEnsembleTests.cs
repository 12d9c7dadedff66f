using Microsoft.ML.PromptLearning.SelfTraining;

namespace Microsoft.ML.PromptLearning.Tests.SelfTraining;

public class TeacherEnsembleTests
{
    [Fact]
    public void CombineIsTheWeightedMeanOfTheMembersProbabilities()
    {
        var a = new[] { new[] { 0.7f, 0.2f, 0.1f }, new[] { 0.1f, 0.1f, 0.8f } };
        var b = new[] { new[] { 0.1f, 0.6f, 0.3f }, new[] { 0.3f, 0.3f, 0.4f } };
        var combined = TeacherEnsemble.Combine(new[] { a, b }, new[] { 0.25, 0.75 });
        // row 0: 0.25·0.7 + 0.75·0.1 = 0.25, 0.25·0.2 + 0.75·0.6 = 0.5, 0.25·0.1 + 0.75·0.3 = 0.25
        Assert.Equal(new[] { 0.25f, 0.5f, 0.25f }, combined[0], new FloatTolerance(1e-6f));
        // row 1: 0.25·0.1 + 0.75·0.3 = 0.25, 0.25, 0.25·0.8 + 0.75·0.4 = 0.5
        Assert.Equal(new[] { 0.25f, 0.25f, 0.5f }, combined[1], new FloatTolerance(1e-6f));
    }

    [Fact]
    public void WeightsFollowValidationAccuracyAndLeaveOutWeakTeachers()
    {
        var accuracies = new[] { 0.30, 0.20, 0.32, 0.28 };
        var selected = TeacherEnsemble.Select(accuracies, margin: 0.05);
        Assert.Equal(new[] { true, false, true, true }, selected);   // 0.20 is 12 points below the best 0.32
        var weighted = TeacherEnsemble.Weights(EnsembleWeighting.ValidationAccuracy, accuracies, selected);
        Assert.Equal(new[] { 0.30 / 0.90, 0, 0.32 / 0.90, 0.28 / 0.90 }, weighted, new DoubleTolerance(1e-12));
        var mean = TeacherEnsemble.Weights(EnsembleWeighting.Mean, accuracies, selected);
        Assert.Equal(new[] { 1 / 3.0, 0, 1 / 3.0, 1 / 3.0 }, mean, new DoubleTolerance(1e-12));
        Assert.All(TeacherEnsemble.Select(new[] { double.NaN, 0.1 }, 0.05), Assert.True);   // no validation set: keep all
        Assert.All(TeacherEnsemble.Select(accuracies, double.PositiveInfinity), Assert.True);
    }

    [Fact]
    public void SoftLabelsAreTemperatureScaledProbabilities()
    {
        var p = new[] { 0.6f, 0.3f, 0.1f };
        // T = 2: q ∝ sqrt(p) = 0.7746, 0.5477, 0.3162 → / 1.6385
        Assert.Equal(new[] { 0.47274f, 0.33428f, 0.19299f }, SoftLabels.Scale(p, 2), new FloatTolerance(1e-4f));
        Assert.Equal(p, SoftLabels.Scale(p, 1), new FloatTolerance(1e-6f));
        // T = 0.5: q ∝ p² = 0.36, 0.09, 0.01 → / 0.46
        Assert.Equal(new[] { 0.78261f, 0.19565f, 0.02174f }, SoftLabels.Scale(p, 0.5), new FloatTolerance(1e-4f));
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftLabels.Scale(p, 0));
    }

    [Fact]
    public void PseudoLabelsAreTheMostConfidentPerClassInTheTrainingSetsProportions()
    {
        // Training set 2:1 between class 0 and class 1, class 2 absent: 6 pseudo-labels → 4 + 2 + 0.
        var quotas = PseudoLabelSelection.Quotas(new[] { 20, 10, 0 }, 6);
        Assert.Equal(new[] { 4, 2, 0 }, quotas);
        Assert.Equal(new[] { 3, 3, 2 }, PseudoLabelSelection.Quotas(new[] { 5, 5, 4 }, 8));   // largest remainders, ties to the lower class
        var probabilities = new[]
        {
            new[] { 0.9f, 0.1f, 0f }, new[] { 0.5f, 0.4f, 0.1f }, new[] { 0.2f, 0.7f, 0.1f }, new[] { 0.6f, 0.3f, 0.1f },
            new[] { 0.1f, 0.2f, 0.7f }, new[] { 0.3f, 0.6f, 0.1f }, new[] { 0.45f, 0.35f, 0.2f }, new[] { 0.8f, 0.1f, 0.1f },
            new[] { 0.1f, 0.55f, 0.35f },
        };
        var chosen = PseudoLabelSelection.Select(probabilities, quotas);
        // class 0 by confidence: rows 0 (0.9), 7 (0.8), 3 (0.6), 1 (0.5), then 6 (0.45) is left out; class 1: rows 2 (0.7), 5 (0.6); class 2: none.
        Assert.Equal(new[] { (0, 0), (7, 0), (3, 0), (1, 0), (2, 1), (5, 1) }, chosen);
        // A class with too few candidates gets what there is.
        Assert.Equal(new[] { (4, 2) }, PseudoLabelSelection.Select(probabilities, new[] { 0, 0, 3 }));
    }
}

internal sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
{
    public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
    public int GetHashCode(float obj) => 0;
}

internal sealed class DoubleTolerance(double tolerance) : IEqualityComparer<double>
{
    public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
    public int GetHashCode(double obj) => 0;
}
