using System.Diagnostics;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.Prompting;
using Microsoft.ML.PromptLearning.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Benchmarks.TrainSpeed;

/// <summary>
/// Where the time of a training step goes in TorchSharp: the steps of <see cref="ClassifierTrainingLoop"/> (collate, forward
/// with loss, backward, gradient clipping, AdamW) timed one by one on the same batches, with the same optimizer groups.
/// </summary>
internal static class StepBreakdown
{
    public static readonly string[] Phases = ["data", "forward", "backward", "clip", "optimizer"];

    /// <summary>Trains a fresh model on the step batches; returns the seconds of each phase summed over the steps, the total and each step's loss.</summary>
    public static (Dictionary<string, double> PhaseSeconds, double Seconds, int Samples, List<double> Losses) Run(TrainSpeedSetup setup)
    {
        var s = setup.Settings;
        using var net = setup.CreateNet();
        var sets = new List<ParameterSet> { new(net.HeadParameters().ToList(), s.HeadLearningRate, s.WeightDecay), new(net.PlmParameters().ToList(), s.LearningRate, s.WeightDecay) };
        var (optimizer, peaks) = OptimizerFactory.AdamW(sets);
        var trainable = sets.SelectMany(x => x.Parameters).Select(p => p.Parameter).ToList();
        var phases = Phases.ToDictionary(p => p, _ => 0.0);
        int samples = 0;
        var losses = new List<double>();
        var total = Stopwatch.StartNew();
        for (int step = 0; step < setup.StepBatches.Count; step++)
        {
            OptimizerFactory.ApplySchedule(optimizer, peaks, LearningRateSchedule.Factor(step, s.WarmupSteps, s.MaxSteps, DecayShape.Linear));
            manual_seed(s.Seed * 1_000_003L + step);
            if (setup.Dropout) net.TrainMode(false);
            else net.eval();
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            var indices = setup.StepBatches[step];
            var batch = ClassifierBatch.Collate(indices.Select(i => setup.Examples[i]).ToList(), CPU, s.PadId);
            Lap("data");
            var loss = net.Loss(net.Forward(batch), batch.Labels);
            Lap("forward");
            optimizer.zero_grad();
            loss.backward();
            Lap("backward");
            nn.utils.clip_grad_norm_(trainable.Where(p => p.grad is not null).ToList(), s.MaxGradNorm);
            Lap("clip");
            optimizer.step();
            losses.Add(loss.item<float>());
            Lap("optimizer");
            samples += indices.Length;

            void Lap(string phase)
            {
                phases[phase] += clock.Elapsed.TotalSeconds;
                clock.Restart();
            }
        }
        optimizer.Dispose();
        return (phases, total.Elapsed.TotalSeconds, samples, losses);
    }
}
