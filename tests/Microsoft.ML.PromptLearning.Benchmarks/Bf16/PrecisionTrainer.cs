using System.Diagnostics;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.Benchmarks.TrainSpeed;
using Microsoft.ML.PromptLearning.Prompting;
using Microsoft.ML.PromptLearning.Training;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Benchmarks.Bf16;

/// <summary>
/// The training step of <see cref="ClassifierTrainingLoop"/> (AdamW in two groups, linear decay, gradient clipping, dropout
/// seeded per step) in float32, or in bfloat16 the way mixed-precision training without autocast does it: the model's
/// weights, activations and gradients are bfloat16, and AdamW updates float32 master copies that are rounded back into the
/// model after every step (so small updates are not lost to bfloat16's 8-bit mantissa).
/// </summary>
internal sealed class PrecisionTrainer : IDisposable
{
    private readonly PromptClassifier net;
    private readonly TrainingSettings s;
    private readonly List<(Parameter Model, Parameter Master)> pairs = new();
    private readonly AdamW optimizer;
    private readonly double[] peaks;
    private readonly List<Parameter> updated;

    public PrecisionTrainer(PromptClassifier net, TrainingSettings settings, bool bf16)
    {
        this.net = net;
        s = settings;
        Bf16 = bf16;
        if (bf16) net.to(ScalarType.BFloat16);
        ParameterSet Set(IEnumerable<(string Name, Parameter Parameter)> ps, double lr) => new(ps.Select(p =>
        {
            if (!bf16) return p;
            var master = new Parameter(p.Parameter.detach().to(ScalarType.Float32).clone());
            pairs.Add((p.Parameter, master));
            return (p.Name, master);
        }).ToList(), lr, s.WeightDecay);
        var sets = new List<ParameterSet> { Set(net.HeadParameters(), s.HeadLearningRate), Set(net.PlmParameters(), s.LearningRate) };
        (optimizer, peaks) = OptimizerFactory.AdamW(sets);
        updated = sets.SelectMany(x => x.Parameters).Select(p => p.Parameter).ToList();
    }

    public bool Bf16 { get; }

    /// <summary>The model (bfloat16 weights when training in bfloat16).</summary>
    public PromptClassifier Net => net;

    /// <summary>Seconds spent in <see cref="Step"/>.</summary>
    public double Seconds { get; private set; }

    /// <summary>One optimizer step on <paramref name="batch"/>; returns the loss.</summary>
    public double Step(long step, IReadOnlyList<EncodedExample> batch)
    {
        var clock = Stopwatch.StartNew();
        OptimizerFactory.ApplySchedule(optimizer, peaks, LearningRateSchedule.Factor(step, s.WarmupSteps, s.MaxSteps, DecayShape.Linear));
        manual_seed(s.Seed * 1_000_003L + step);
        net.TrainMode(false);
        double value;
        using (var scope = NewDisposeScope())
        {
            var b = ClassifierBatch.Collate(batch, CPU, s.PadId);
            var loss = net.Loss(net.Forward(b), b.Labels);
            optimizer.zero_grad();
            net.zero_grad();
            loss.backward();
            if (Bf16)
                foreach (var (model, master) in pairs)
                    if (model.grad is { } g) master.grad = g.to(ScalarType.Float32);
            nn.utils.clip_grad_norm_(updated.Where(p => p.grad is not null).ToList(), s.MaxGradNorm);
            optimizer.step();
            if (Bf16)
                using (no_grad())
                    foreach (var (model, master) in pairs) model.copy_(master);
            value = loss.to(ScalarType.Float32).item<float>();
        }
        Seconds += clock.Elapsed.TotalSeconds;
        return value;
    }

    /// <summary>
    /// Trains <paramref name="fp32"/> and <paramref name="bf16"/> on the step batches of <paramref name="setup"/>, step k of one
    /// then step k of the other, so that both see the same machine load; returns both losses of every step.
    /// </summary>
    public static List<(double F32, double B16)> TrainInTurn(TrainSpeedSetup setup, PrecisionTrainer fp32, PrecisionTrainer bf16,
        Action<int, List<(double F32, double B16)>> afterStep = null)
    {
        var losses = new List<(double F32, double B16)>();
        for (int k = 0; k < setup.StepBatches.Count; k++)
        {
            var rows = setup.StepBatches[k].Select(i => setup.Examples[i]).ToList();
            losses.Add((fp32.Step(k, rows), bf16.Step(k, rows)));
            afterStep?.Invoke(k, losses);
        }
        return losses;
    }

    /// <summary>The trained weights in float32 (the master copies when training in bfloat16), by parameter name.</summary>
    public Dictionary<string, Tensor> Float32State()
    {
        var masters = pairs.ToDictionary(p => p.Model, p => p.Master, ReferenceEqualityComparer.Instance);
        return net.named_parameters().ToDictionary(p => p.name, p => masters.TryGetValue(p.parameter, out var m) ? (Tensor)m : p.parameter.to(ScalarType.Float32));
    }

    public void Dispose()
    {
        optimizer.Dispose();
        foreach (var (_, master) in pairs) master.Dispose();
    }
}
