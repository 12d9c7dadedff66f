using System.Diagnostics;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Training;

/// <summary>Hyper-parameters of the classifier training loop (filled from the public trainer options).</summary>
internal sealed class TrainingSettings
{
    public int BatchSize { get; init; } = 8;
    public int EvalBatchSize { get; init; } = 32;
    public long MaxSteps { get; init; } = -1;
    public int NumberOfEpochs { get; init; } = 10;
    public double LearningRate { get; init; } = 3e-5;
    public double HeadLearningRate { get; init; } = 3e-4;
    public double WeightDecay { get; init; }
    public long WarmupSteps { get; init; }
    public double MaxGradNorm { get; init; } = 1.0;
    public int EvalSteps { get; init; }
    public int EarlyStoppingPatience { get; init; } = 4;
    public int LoggingSteps { get; init; } = 10;
    public int Seed { get; init; } = 42;
    public bool FreezePlm { get; init; }
    public bool FreezeDropout { get; init; }
    public bool UseRDrop { get; init; }
    public double AlphaRDrop { get; init; } = 5.0;
    public bool UseRgl { get; init; }
    public double AlphaRgl { get; init; } = 0.5;
    public int PadId { get; init; }
}

/// <summary>One evaluation during training.</summary>
public sealed record EvaluationPoint(long Step, double Loss, double ValidationAccuracy);

/// <summary>What happened during training.</summary>
/// <param name="Steps">Optimizer steps run.</param>
/// <param name="BestStep">Step whose weights were kept (the last step without a validation set).</param>
/// <param name="BestValidationAccuracy">Validation accuracy at <paramref name="BestStep"/> (NaN without a validation set).</param>
/// <param name="TrainSeconds">Wall time of the loop.</param>
/// <param name="SamplesPerSecond">Training examples processed per second (forward + backward).</param>
/// <param name="History">Every evaluation.</param>
public sealed record TrainingReport(long Steps, long BestStep, double BestValidationAccuracy, double TrainSeconds, double SamplesPerSecond, IReadOnlyList<EvaluationPoint> History);

/// <summary>
/// The training loop shared by the prompt and fine-tune classifiers: AdamW with two parameter groups (PLM at the
/// learning rate, prompt/verbalizer/classifier head at the head rate; no decay on biases and LayerNorms), linear warmup
/// and decay, gradient clipping, R-Drop and RGL auxiliary losses, periodic validation with early stopping that restores
/// the best weights, deterministic for a given seed on the CPU.
/// </summary>
internal static class ClassifierTrainingLoop
{
    public static TrainingReport Run(ClassifierNet net, IReadOnlyList<EncodedExample> train, IReadOnlyList<EncodedExample> validation,
        TrainingSettings s, Device device, IChannel channel, IProgressChannel progress, Action checkAlive)
    {
        if (train.Count == 0) throw new InvalidOperationException("The training data has no labelled rows.");
        manual_seed(s.Seed);
        var rng = new Random(s.Seed);
        bool freezePlm = s.FreezePlm || s.FreezeDropout;
        foreach (var (_, p) in net.PlmParameters()) p.requires_grad = !freezePlm;
        var sets = new List<ParameterSet> { new(net.HeadParameters().ToList(), s.HeadLearningRate, s.WeightDecay) };
        if (!freezePlm) sets.Add(new ParameterSet(net.PlmParameters().ToList(), s.LearningRate, s.WeightDecay));
        var (optimizer, peaks) = OptimizerFactory.AdamW(sets);

        var lengths = train.Select(e => e.Length).ToArray();
        int batchesPerEpoch = (train.Count + s.BatchSize - 1) / s.BatchSize;
        long totalSteps = s.MaxSteps > 0 ? s.MaxSteps : (long)Math.Max(1, s.NumberOfEpochs) * batchesPerEpoch;
        int evalEvery = s.EvalSteps > 0 ? s.EvalSteps : batchesPerEpoch;
        bool validate = validation is { Count: > 0 };

        var history = new List<EvaluationPoint>();
        Dictionary<string, Tensor> best = null;
        double bestAccuracy = double.NegativeInfinity;
        long bestStep = 0, step = 0, samples = 0;
        int evalsWithoutImprovement = 0;
        double lossSum = 0; int lossCount = 0; double lastLoss = double.NaN;
        var clock = Stopwatch.StartNew();
        progress?.SetHeader(new ProgressHeader(new[] { "Loss", "Validation accuracy" }, new[] { "Step" }), e =>
        {
            e.SetProgress(0, step, totalSteps);
            e.SetMetric(0, lastLoss);
            if (history.Count > 0) e.SetMetric(1, history[^1].ValidationAccuracy);
        });

        var epochBatches = new Queue<int[]>();
        bool stop = false;
        while (step < totalSteps && !stop)
        {
            checkAlive?.Invoke();
            if (epochBatches.Count == 0) foreach (var b in LengthBuckets.TrainingBatches(lengths, s.BatchSize, rng)) epochBatches.Enqueue(b);
            var indices = epochBatches.Dequeue();
            OptimizerFactory.ApplySchedule(optimizer, peaks, LearningRateSchedule.Factor(step, s.WarmupSteps, totalSteps, DecayShape.Linear));
            net.TrainMode(s.FreezeDropout);
            using (var scope = NewDisposeScope())
            {
                var batch = ClassifierBatch.Collate(indices.Select(i => train[i]).ToList(), device, s.PadId);
                var output = net.Forward(batch);
                var loss = net.Loss(output, batch.Labels);
                if (s.UseRDrop)
                {
                    var again = net.Forward(batch);
                    loss = (loss + net.Loss(again, batch.Labels)) / 2 + s.AlphaRDrop * AuxiliaryLosses.RDrop(output.Logits, again.Logits);
                }
                if (s.UseRgl) loss = loss + AuxiliaryLosses.Rgl(output.Features, batch.Labels, s.AlphaRgl);
                optimizer.zero_grad();
                loss.backward();
                var trainable = sets.SelectMany(x => x.Parameters).Select(p => p.Parameter).Where(p => p.requires_grad && p.grad is not null).ToList();
                if (s.MaxGradNorm > 0 && trainable.Count > 0) nn.utils.clip_grad_norm_(trainable, s.MaxGradNorm);
                optimizer.step();
                lastLoss = loss.item<float>();
            }
            step++;
            samples += indices.Length;
            lossSum += lastLoss; lossCount++;
            if (s.LoggingSteps > 0 && step % s.LoggingSteps == 0)
            {
                channel?.Info($"step {step}/{totalSteps} loss {lossSum / lossCount:F4} lr {peaks[^1] * LearningRateSchedule.Factor(step - 1, s.WarmupSteps, totalSteps, DecayShape.Linear):E2} ({samples / clock.Elapsed.TotalSeconds:F1} samples/s)");
                lossSum = 0; lossCount = 0;
            }
            if (validate && (step % evalEvery == 0 || step == totalSteps))
            {
                double accuracy = Accuracy(net, validation, s.EvalBatchSize, device, s.PadId);
                history.Add(new EvaluationPoint(step, lastLoss, accuracy));
                if (accuracy > bestAccuracy)
                {
                    bestAccuracy = accuracy; bestStep = step; evalsWithoutImprovement = 0;
                    best = Snapshot(net, best);
                }
                else evalsWithoutImprovement++;
                channel?.Info($"eval step {step}: validation accuracy {accuracy:P2} (best {bestAccuracy:P2} at step {bestStep})");
                if (s.EarlyStoppingPatience > 0 && evalsWithoutImprovement >= s.EarlyStoppingPatience)
                {
                    channel?.Info($"early stopping at step {step}: no improvement in {evalsWithoutImprovement} evaluations");
                    stop = true;
                }
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;
        if (best is not null)
        {
            Restore(net, best);
            foreach (var t in best.Values) t.Dispose();
        }
        else bestStep = step;
        net.eval();
        return new TrainingReport(step, bestStep, validate ? bestAccuracy : double.NaN, seconds, samples / Math.Max(1e-9, seconds), history);
    }

    /// <summary>Class probabilities for every example, in input order (batched by length, eval mode, no gradients).</summary>
    public static float[][] PredictProbabilities(ClassifierNet net, IReadOnlyList<EncodedExample> examples, int batchSize, Device device, int padId)
    {
        var result = new float[examples.Count][];
        net.eval();
        using var noGrad = no_grad();
        foreach (var indices in LengthBuckets.ScoringBatches(examples.Select(e => e.Length).ToArray(), batchSize))
        {
            using var scope = NewDisposeScope();
            var batch = ClassifierBatch.Collate(indices.Select(i => examples[i]).ToList(), device, padId);
            var probs = nn.functional.softmax(net.Forward(batch).Logits, -1).cpu();
            var flat = probs.data<float>().ToArray();
            int c = (int)probs.shape[1];
            for (int r = 0; r < indices.Length; r++) result[indices[r]] = flat.AsSpan(r * c, c).ToArray();
        }
        return result;
    }

    private static double Accuracy(ClassifierNet net, IReadOnlyList<EncodedExample> examples, int batchSize, Device device, int padId)
    {
        var probs = PredictProbabilities(net, examples, batchSize, device, padId);
        int correct = 0;
        for (int i = 0; i < examples.Count; i++)
            if (ArgMax(probs[i]) == examples[i].Label) correct++;
        return (double)correct / examples.Count;
    }

    internal static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static Dictionary<string, Tensor> Snapshot(ClassifierNet net, Dictionary<string, Tensor> previous)
    {
        if (previous is not null) foreach (var t in previous.Values) t.Dispose();
        using var noGrad = no_grad();
        return net.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone().DetachFromDisposeScope());
    }

    private static void Restore(ClassifierNet net, Dictionary<string, Tensor> state)
    {
        using var noGrad = no_grad();
        foreach (var (name, p) in net.named_parameters()) p.copy_(state[name]);
    }
}
