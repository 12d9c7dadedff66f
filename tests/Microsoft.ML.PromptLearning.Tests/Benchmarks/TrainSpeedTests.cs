using Microsoft.ML.PromptLearning.Benchmarks.Bf16;
using Microsoft.ML.PromptLearning.Benchmarks.TrainSpeed;
using Microsoft.ML.PromptLearning.Data;
using Microsoft.ML.PromptLearning.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.Benchmarks;

public class TrainSpeedTests
{
    private const string Prompt = "{'text':'text_a'}主题是{'mask'}{'mask'}";

    private static TrainSpeedSetup TinySetup(int steps, int batch = 3) =>
        TrainSpeedSetup.Create(TestPaths.Fixture("tiny-ernie"), null, null, FewShotDataFolder.Open(OnnxParityTests.DataFolder()), "train_0.txt",
            Prompt, batch, steps, 32, seed: 7, learningRate: 1e-3, headLearningRate: 1e-2);

    [Fact]
    public void TheTimedReplicaTakesTheLoopsBatchesInTheLoopsOrder()
    {
        using var setup = TinySetup(steps: 9);
        Assert.Equal(9, setup.StepBatches.Count);
        Assert.All(setup.StepBatches, b => Assert.InRange(b.Length, 1, 3));
        var loopLosses = new List<double>();
        using (var net = setup.CreateNet())
        {
            var s = setup.Settings;
            var settings = new TrainingSettings
            {
                BatchSize = s.BatchSize, MaxSteps = s.MaxSteps, LearningRate = s.LearningRate, HeadLearningRate = s.HeadLearningRate, Seed = s.Seed,
                PadId = s.PadId, LoggingSteps = 0, Progress = p => { if (p.Kind == TrainingEventKind.Step) loopLosses.Add(p.Loss); },
            };
            ClassifierTrainingLoop.Run(net, setup.Examples, null, settings, CPU, null, null, null);
        }
        var (phases, seconds, samples, losses) = StepBreakdown.Run(setup);
        Assert.Equal(loopLosses.Count, losses.Count);
        for (int i = 0; i < losses.Count; i++) Assert.Equal(loopLosses[i], losses[i], 6);
        Assert.Equal(setup.StepBatches.Sum(b => b.Length), samples);
        Assert.True(phases.Values.Sum() <= seconds + 1e-3 && phases["forward"] > 0 && phases["optimizer"] > 0);
    }

    [PythonTorchFact]
    public void ThePyTorchLoopTrainsTheSameModelStepByStep()
    {
        using var setup = TinySetup(steps: 6);
        setup.Dropout = false;   // both sides deterministic: the losses must agree step by step
        var (_, _, _, ours) = StepBreakdown.Run(setup);
        var spec = Path.Combine(TestPaths.NewTempDir(), "spec.json");
        File.WriteAllText(spec, setup.PeerSpec(threads: 1).ToJsonString());
        using var peer = new PythonPeer(PythonReference.Interpreter, spec, 1, null);
        var full = peer.Run("full");
        var masks = peer.Run("masks");
        Assert.Equal(setup.StepBatches.Sum(b => b.Length), full.Samples);
        Assert.Equal(ours.Count, full.Losses.Count);
        for (int i = 0; i < ours.Count; i++)
        {
            Assert.True(Math.Abs(ours[i] - full.Losses[i]) < 2e-4, $"step {i}: ours {ours[i]}, PyTorch {full.Losses[i]}");
            Assert.True(Math.Abs(full.Losses[i] - masks.Losses[i]) < 2e-5, $"step {i}: full {full.Losses[i]}, masks {masks.Losses[i]}");
        }
        Assert.True(ours[^1] < ours[0], "the loss falls over the steps");
    }

    [Fact]
    public void Bfloat16TrainingKeepsFloat32MastersAndFollowsFloat32()
    {
        using var setup = TinySetup(steps: 5);
        using var fp32 = new PrecisionTrainer(setup.CreateNet(), setup.Settings, bf16: false);
        using var bf16 = new PrecisionTrainer(setup.CreateNet(), setup.Settings, bf16: true);
        var losses = PrecisionTrainer.TrainInTurn(setup, fp32, bf16);
        var trace = string.Join("; ", losses.Select(l => $"{l.F32:F4} / {l.B16:F4}"));
        // Same weights, batch and dropout seed before the first update: the same loss up to bfloat16 rounding.
        Assert.True(Math.Abs(losses[0].F32 - losses[0].B16) < 0.05 * losses[0].F32, trace);
        Assert.True(losses[^1].B16 < losses[0].B16 && losses[^1].F32 < losses[0].F32, "both learn: " + trace);
        Assert.All(bf16.Net.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        var masters = bf16.Float32State();
        Assert.All(masters.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));
        // The masters hold what the bfloat16 weights were rounded from.
        var name = masters.Keys.First(k => k.Contains("query.weight"));
        var model = bf16.Net.named_parameters().First(p => p.name == name).parameter;
        Assert.True(masters[name].to(ScalarType.BFloat16).eq(model).all().item<bool>());
        Assert.False(masters[name].eq(model.to(ScalarType.Float32)).all().item<bool>());
    }

    [Fact]
    public void TheSixPassAdamWMakesTorchSharpsUpdates()
    {
        using var setup = TinySetup(steps: 1);
        var (torchSharpMs, leanMs, maxDiff) = LeanAdamW.Compare(setup, steps: 4);
        Assert.True(maxDiff < 1e-6, $"largest parameter difference {maxDiff}");
        Assert.True(torchSharpMs > 0 && leanMs > 0);
    }
}
