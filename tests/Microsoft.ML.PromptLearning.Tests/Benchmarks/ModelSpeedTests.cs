using Microsoft.ML.PromptLearning.Benchmarks;
using Microsoft.ML.PromptLearning.Benchmarks.ModelSpeed;
using Microsoft.ML.PromptLearning.Ernie;

namespace Microsoft.ML.PromptLearning.Tests.Benchmarks;

public class ModelSpeedTests
{
    [Fact]
    public void FlopCountOfErnieBaseMatchesHandCount()
    {
        var c = ErnieConfig.Ernie3Base();
        Assert.Equal(12L * (4 * 768 * 768 + 2 * 768 * 3072), FlopCount.EncoderMatmulParameters(c));
        double encoder = 2.0 * 84_934_656 * 1024, attention = 12 * 4.0 * 8 * 128 * 128 * 768, pooler = 2.0 * 8 * 768 * 768;
        double head = 2.0 * 154 * (768 * 768 + 768 * 40000);
        Assert.Equal(encoder + attention + pooler + head, FlopCount.Forward(c, 8, 128, 154));
        Assert.Equal(188.43, FlopCount.Forward(c, 8, 128, 154) / 1e9, 1e-2);
        Assert.Equal(3 * FlopCount.Forward(c, 8, 128, 154), FlopCount.ForwardBackward(c, 8, 128, 154));
    }

    [Fact]
    public void StepTimerRunsBothStepsOnATinyModel()
    {
        var config = Tests.Ernie.ErnieModelTests.TinyConfig();
        using var timer = new ErnieStepTimer(config, batch: 2, length: 10);
        Assert.Equal(3, timer.Predicted);
        var forward = Timing.Measure(timer.Forward, warmup: 1, repeats: 3);
        var train = Timing.Measure(timer.ForwardBackward, warmup: 0, repeats: 2);
        Assert.Equal(3, forward.SamplesMs.Count);
        Assert.True(train.MedianMs > 0 && forward.MinMs <= forward.MedianMs);
    }

    [Fact]
    public void MedianOfEvenAndOddSampleCounts()
    {
        Assert.Equal(2.0, new Timing(new double[] { 3, 1, 2 }).MedianMs);
        Assert.Equal(2.5, new Timing(new double[] { 4, 1, 3, 2 }).MedianMs);
    }
}
