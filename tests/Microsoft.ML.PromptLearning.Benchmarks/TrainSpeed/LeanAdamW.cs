using System.Diagnostics;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Benchmarks.TrainSpeed;

/// <summary>
/// AdamW (decoupled weight decay, no AMSGrad) written with six passes over each parameter instead of TorchSharp's nine:
/// no decay pass when the decay is 0, the first moment by <c>lerp_</c>, and the bias corrections folded into the step
/// size and ε: <c>p -= lr·√bc2/bc1 · m / (√v + ε·√bc2)</c>, which equals <c>lr/bc1 · m / (√v/√bc2 + ε)</c>.
/// A candidate for the training loop's optimizer, measured against TorchSharp's on the same parameters.
/// </summary>
internal sealed class LeanAdamW : IDisposable
{
    private readonly List<(Parameter P, Tensor M, Tensor V, double Lr, double Decay)> state = new();
    private readonly double beta1, beta2, eps;
    private long step;

    public LeanAdamW(IEnumerable<(Parameter Parameter, double LearningRate, double WeightDecay)> parameters, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        foreach (var (p, lr, wd) in parameters)
            state.Add((p, zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope(), lr, wd));
    }

    /// <summary>
    /// One update of every parameter that has a gradient. The one temporary (√v) is freed as soon as its parameter is
    /// updated, so the allocator hands the same block to the next parameter instead of holding every temporary until a
    /// dispose scope ends.
    /// </summary>
    public void Step()
    {
        using var noGrad = no_grad();
        step++;
        double bc1 = 1 - Math.Pow(beta1, step), bc2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, step));
        foreach (var (p, m, v, lr, wd) in state)
        {
            using var g = p.grad;
            if (g is null) continue;
            if (wd != 0) p.mul_(1 - lr * wd);
            m.lerp_(g, 1 - beta1);
            v.mul_(beta2).addcmul_(g, g, 1 - beta2);
            using var denom = v.sqrt();
            p.addcdiv_(m, denom.add_(eps * bc2Sqrt), -lr * bc2Sqrt / bc1);
        }
    }

    public void Dispose()
    {
        foreach (var (_, m, v, _, _) in state)
        {
            m.Dispose();
            v.Dispose();
        }
    }

    /// <summary>
    /// Times TorchSharp's AdamW and this one on two copies of the model's parameters with the same random gradients,
    /// alternating (TorchSharp, lean, TorchSharp, …); returns the median milliseconds of each and the largest parameter
    /// difference between the two copies after all steps.
    /// </summary>
    public static (double TorchSharpMs, double LeanMs, double MaxDiff) Compare(TrainSpeedSetup setup, int steps)
    {
        using var a = setup.CreateNet();
        using var b = setup.CreateNet();
        var pa = a.parameters().ToList();
        var pb = b.parameters().ToList();
        var lr = setup.Settings.LearningRate;
        var torchSharp = optim.AdamW(pa, lr, 0.9, 0.999, 1e-8, 0.0, false, false);
        using var lean = new LeanAdamW(pb.Select(p => (p, lr, 0.0)));
        var timesA = new List<double>();
        var timesB = new List<double>();
        manual_seed(setup.Settings.Seed);
        for (int s = 0; s < steps; s++)
        {
            using (no_grad())
                for (int i = 0; i < pa.Count; i++)
                {
                    var g = randn_like(pa[i]).mul_(1e-2);
                    pa[i].grad = g;
                    pb[i].grad = g.clone();
                }
            var clock = Stopwatch.StartNew();
            torchSharp.step();
            timesA.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            lean.Step();
            timesB.Add(clock.Elapsed.TotalMilliseconds);
        }
        double maxDiff;
        using (no_grad()) maxDiff = pa.Zip(pb, (x, y) => (x - y).abs().max().item<float>()).Max();
        torchSharp.Dispose();
        return (Timing.Median(timesA), Timing.Median(timesB), maxDiff);
    }
}
