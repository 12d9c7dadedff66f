using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML.PromptLearning.Inference;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Training;

/// <summary>
/// Everything the classifier training loop needs to continue exactly where it stopped, written as <c>trainer_state.json</c>
/// next to the weights (<c>model_state.safetensors</c>), the best weights so far, and the AdamW moments (<c>optimizer.bin</c>).
/// Data order and dropout are functions of (seed, epoch) and (seed, step), so no random-generator state is stored.
/// </summary>
internal sealed class TrainerState
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public long Step { get; set; }
    public int Epoch { get; set; }
    public int BatchInEpoch { get; set; }
    public long Samples { get; set; }
    public double TrainSeconds { get; set; }
    public double LastLoss { get; set; } = double.NaN;
    public double LossSum { get; set; }
    public int LossCount { get; set; }
    public double BestAccuracy { get; set; } = double.NegativeInfinity;
    public long BestStep { get; set; }
    public int EvalsWithoutImprovement { get; set; }
    public bool EarlyStopped { get; set; }
    public List<EvaluationPoint> History { get; set; } = new();

    // What the run was started with; a resume with other values would not continue the same run.
    public long TotalSteps { get; set; }
    public int TrainExamples { get; set; }
    public int BatchSize { get; set; }
    public int Seed { get; set; }

    public void CheckCompatible(string dir, long totalSteps, int trainExamples, int batchSize, int seed)
    {
        var problems = new List<string>();
        if (TotalSteps != totalSteps) problems.Add($"total steps {TotalSteps} (now {totalSteps})");
        if (TrainExamples != trainExamples) problems.Add($"{TrainExamples} training examples (now {trainExamples})");
        if (BatchSize != batchSize) problems.Add($"batch size {BatchSize} (now {batchSize})");
        if (Seed != seed) problems.Add($"seed {Seed} (now {seed})");
        if (problems.Count > 0)
            throw new InvalidOperationException($"Checkpoint '{dir}' belongs to a different run: it was written with {string.Join(", ", problems)}. " +
                "Resume with the original data and options, or start a new run in another output folder.");
    }

    /// <summary>Writes <c>checkpoint-{Step}</c> atomically and prunes old ones (the best one is kept while it is best).</summary>
    public string Save(TrainingSettings s, ClassifierNet net, AdamW optimizer, Dictionary<string, Tensor> best)
    {
        var bestDir = BestStep > 0 && BestStep != Step ? Path.Combine(s.CheckpointDirectory, CheckpointFolders.Prefix + BestStep) : null;
        return CheckpointFolders.Write(s.CheckpointDirectory, Step, ClassifierTrainingLoop.StateFile, dir =>
        {
            using (var stream = File.Create(Path.Combine(dir, ClassifierTrainingLoop.WeightsFile))) ModuleState.Save(net, stream);
            if (best is not null)
                SafeTensors.Save(Path.Combine(dir, ClassifierTrainingLoop.BestWeightsFile), best);
            optimizer.save_state_dict(Path.Combine(dir, ClassifierTrainingLoop.OptimizerFile));
            foreach (var (name, text) in s.CheckpointFiles ?? new Dictionary<string, string>())
                File.WriteAllText(Path.Combine(dir, name), text);
        }, () => JsonSerializer.Serialize(this, Json), s.SaveTotalLimit, bestDir);
    }

    /// <summary>Loads a checkpoint written by <see cref="Save"/> into the network and optimizer.</summary>
    public static TrainerState Resume(string dir, ClassifierNet net, AdamW optimizer, out Dictionary<string, Tensor> best)
    {
        var statePath = Path.Combine(dir, ClassifierTrainingLoop.StateFile);
        TrainerState state;
        try { state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(statePath), Json); }
        catch (JsonException e) { throw new InvalidDataException($"'{statePath}' is not a valid trainer state: {e.Message}", e); }
        if (state is null) throw new InvalidDataException($"'{statePath}' is empty.");
        var weights = Path.Combine(dir, ClassifierTrainingLoop.WeightsFile);
        var optimizerPath = Path.Combine(dir, ClassifierTrainingLoop.OptimizerFile);
        foreach (var f in new[] { weights, optimizerPath })
            if (!File.Exists(f)) throw new InvalidDataException($"Checkpoint '{dir}' is incomplete: '{Path.GetFileName(f)}' is missing.");
        using (var stream = File.OpenRead(weights)) ModuleState.Load(net, stream, weights);
        try { optimizer.load_state_dict(optimizerPath); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{optimizerPath}' does not match this model's optimizer (different template, labels or frozen parts?): {e.Message}", e);
        }
        var bestPath = Path.Combine(dir, ClassifierTrainingLoop.BestWeightsFile);
        best = null;
        if (File.Exists(bestPath))
            best = SafeTensors.Load(bestPath).ToDictionary(kv => kv.Key, kv => kv.Value.DetachFromDisposeScope());
        return state;
    }
}
