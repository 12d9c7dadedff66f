using Microsoft.ML.Data;
using TorchSharp;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.Tokenization;
using Microsoft.ML.PromptLearning.Training;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.MLNet;

/// <summary>
/// What a trainer builds on the pretrained model before training: its network, how it encodes rows (in training and,
/// later, in scoring), the learning rate of its head, files written into every checkpoint, and a line for the log.
/// </summary>
internal sealed record TrainingSetup(ClassifierNet Net, InputEncoder Encoder, double HeadLearningRate, IReadOnlyDictionary<string, string> CheckpointFiles, string Description);

/// <summary>A trained network with what its transformer needs, and the encoded validation rows (null without a validation set), on which an int8 scorer reports its agreement.</summary>
internal sealed record FittedNet(ClassifierNet Net, ErnieTokenizer Tokenizer, ScoringSettings Settings, TrainingReport Report, IReadOnlyList<EncodedExample> Validation);

/// <summary>The steps both trainers share: check options, load the language model, read the data, run the loop.</summary>
internal static class TrainerCore
{
    /// <summary>
    /// The one training path of the ERNIE trainers: label names from the key column, <paramref name="checkLabels"/> (before the
    /// model is loaded, so option mistakes fail fast), the pretrained model, <paramref name="setup"/> (the trainer's network and
    /// encoder), the training / additional / validation rows encoded with it, the training loop, and the truncation figures.
    /// </summary>
    public static FittedNet Fit(IHost host, ErnieTrainerOptionsBase o, IDataView input, AdditionalTrainingRows additional, string name,
        Action<string[]> checkLabels, Func<PretrainedErnie, string[], TrainingSetup> setup, MultiLabelOptions multiLabel = null)
    {
        host.CheckValue(input, nameof(input));
        OutputSchema(host, SchemaShape.Create(input.Schema), o, multiLabel);
        var labelNames = InputColumns.LabelNames(input.Schema[o.LabelColumnName]);
        checkLabels?.Invoke(labelNames);
        bool hierarchical = multiLabel is not null && MultiLabelTraining.CheckHierarchy(host, multiLabel, labelNames);
        var plm = LoadPlm(host, o);
        var s = setup(plm, labelNames);
        List<EncodedExample> train, validation = null;
        (int Count, double MeanDroppedShare) truncation;
        using (var ch = host.Start("Reading data"))
        {
            ch.Info(s.Description);
            train = ReadLabelled(host, ch, input, o, "training", multiLabel is not null).Select(r => s.Encoder.Encode(r)).ToList();
            truncation = ReportTruncation(ch, train, o, "training");
            AddRows(ch, train, additional, s.Encoder);
            if (o.ValidationSet is not null)
            {
                CheckValidationSchema(host, o.ValidationSet, o, labelNames.Length, multiLabel is not null);
                validation = ReadLabelled(host, ch, o.ValidationSet, o, "validation", multiLabel is not null).Select(r => s.Encoder.Encode(r)).ToList();
            }
        }
        var settings = Settings(o, s.HeadLearningRate, plm.Tokenizer.PadId, s.CheckpointFiles, additional, multiLabel is null ? LabelObjective.SingleLabel : LabelObjective.MultiLabel);
        var report = Train(host, s.Net, train, validation, settings, o.NumberOfThreads, name);
        report = report with { TruncatedTrainingTexts = truncation.Count, MeanDroppedShare = truncation.MeanDroppedShare };
        var scoring = ScoringSettings(o, labelNames);
        if (multiLabel is not null) scoring = MultiLabelTraining.ScoringSettings(host, scoring, multiLabel, hierarchical, s.Net, validation, HostDevice.Pick(host), plm.Tokenizer.PadId);
        return new FittedNet(s.Net, plm.Tokenizer, scoring, report, validation);
    }

    /// <summary>A trainer's output schema: the input's columns (checked for the label and text columns) plus PredictedLabel(s) and Score.</summary>
    public static SchemaShape OutputSchema(IHost host, SchemaShape inputSchema, ErnieTrainerOptionsBase o, MultiLabelOptions multiLabel = null)
    {
        var label = InputColumns.CheckTrainingSchema(host, inputSchema, o, multiLabel is not null);
        return multiLabel is null ? ScoreSchema.OutputShape(inputSchema, label, o.PredictedLabelColumnName, o.ScoreColumnName)
            : ScoreSchema.MultiLabelOutputShape(inputSchema, multiLabel.PredictedLabelsColumnName, o.ScoreColumnName);
    }

    /// <summary>The column names and sizes a model trained with <paramref name="o"/> scores with.</summary>
    public static ScoringSettings ScoringSettings(ErnieTrainerOptionsBase o, string[] labelNames) => new()
    {
        TextColumn = o.TextColumnName, TextPairColumn = string.IsNullOrEmpty(o.TextPairColumnName) ? null : o.TextPairColumnName,
        ScoreColumn = o.ScoreColumnName, PredictedLabelColumn = o.PredictedLabelColumnName, LabelNames = labelNames,
        MaxSequenceLength = o.MaxSequenceLength, EvalBatchSize = o.EvalBatchSize, Engine = o.ScoringEngine, Precision = o.ScoringPrecision,
    };

    public static void CheckOptions(IHost host, ErnieTrainerOptionsBase o)
    {
        host.CheckUserArg(o.BatchSize > 0, nameof(o.BatchSize), "must be positive");
        host.CheckUserArg(o.EvalBatchSize > 0, nameof(o.EvalBatchSize), "must be positive");
        host.CheckUserArg(o.ScoringPrecision != ScoringPrecision.Int8 || o.ScoringEngine == ScoringEngine.OnnxRuntime, nameof(o.ScoringPrecision),
            "Int8 scoring runs on ONNX Runtime: set ScoringEngine = ScoringEngine.OnnxRuntime too (or keep ScoringPrecision = Float32)");
        host.CheckUserArg(o.ScoringPrecision != ScoringPrecision.BFloat16 || o.ScoringEngine == ScoringEngine.TorchSharp, nameof(o.ScoringPrecision),
            "BFloat16 scoring runs on TorchSharp: keep ScoringEngine = ScoringEngine.TorchSharp (or use ScoringPrecision = Float32 or Int8)");
        host.CheckUserArg(o.MaxSequenceLength >= 8, nameof(o.MaxSequenceLength), "must be at least 8");
        host.CheckUserArg(o.LearningRate > 0, nameof(o.LearningRate), "must be positive");
        host.CheckUserArg(o.MaxSteps >= 0 || o.NumberOfEpochs >= 0, nameof(o.NumberOfEpochs), "must not be negative");
        host.CheckUserArg(o.SaveSteps >= 0, nameof(o.SaveSteps), "must not be negative");
        host.CheckUserArg(o.SaveTotalLimit >= 0, nameof(o.SaveTotalLimit), "must not be negative (0 keeps every checkpoint)");
        host.CheckUserArg(o.ResumeFromCheckpoint != TrainingSettings.LatestCheckpoint || o.CheckpointDirectory is not null, nameof(o.ResumeFromCheckpoint),
            "\"latest\" needs CheckpointDirectory (the folder holding the checkpoint-N folders)");
    }

    /// <summary>Loads the pretrained model named by the options (or the bundled one) and checks the sequence length against it.</summary>
    public static PretrainedErnie LoadPlm(IHost host, ErnieTrainerOptionsBase o)
    {
        var path = BundledModel.Resolve(o.ModelPath);
        manual_seed(o.Seed);   // weights the checkpoint lacks (e.g. a pooler) are initialised from the seed too
        var loaded = ErnieCheckpoint.Load(path);
        manual_seed(o.Seed);   // the heads built next (soft prompts, verbalizer, classifier) start from the seed
        if (o.MaxSequenceLength > loaded.Model.Config.MaxPositionEmbeddings)
            throw host.Except($"MaxSequenceLength {o.MaxSequenceLength} exceeds the {loaded.Model.Config.MaxPositionEmbeddings} positions of the model in '{path}'; use at most {loaded.Model.Config.MaxPositionEmbeddings}.");
        return loaded;
    }

    /// <summary>Reads labelled rows, skipping (and reporting) rows with a missing label; multi-label rows keep their label sets (an empty set is a label).</summary>
    public static List<TextRow> ReadLabelled(IHost host, IChannel ch, IDataView data, ErnieTrainerOptionsBase o, string role, bool multiLabel = false)
    {
        if (multiLabel)
        {
            var sets = InputColumns.ReadLabelSets(data, o.TextColumnName, o.TextPairColumnName, o.LabelColumnName, out int missingKeys, host.CheckAlive);
            if (missingKeys > 0) ch.Warning($"{missingKeys} labels of the {role} rows are outside the label key's values and are ignored; map every split with the key map fitted on all labels.");
            return sets;
        }
        var rows = InputColumns.Read(data, o.TextColumnName, o.TextPairColumnName, o.LabelColumnName, host.CheckAlive);
        int missing = rows.Count(r => r.Label < 0);
        if (missing > 0) ch.Warning($"{missing} {role} rows have a missing label (a value outside the key's label set) and are skipped.");
        int empty = rows.Count(r => r.Label >= 0 && string.IsNullOrWhiteSpace(r.Text));
        if (empty > 0) ch.Warning($"{empty} {role} rows have an empty text; they are kept but carry no information.");
        return rows.Where(r => r.Label >= 0).ToList();
    }

    /// <summary>Appends <paramref name="additional"/> (pseudo-labelled or soft-labelled rows) to the encoded training examples.</summary>
    private static void AddRows(IChannel ch, List<EncodedExample> train, AdditionalTrainingRows additional, InputEncoder encoder)
    {
        if (additional is null || additional.Rows.Count == 0) return;
        int before = train.Count;
        train.AddRange(additional.Encode(encoder));
        int soft = additional.SoftLabels?.Count(q => q is not null) ?? 0;
        ch.Info($"{train.Count - before} additional training rows ({soft} with a teacher's soft label, {train.Count - before - soft} pseudo-labelled) beside {before} labelled rows");
    }

    /// <summary>
    /// Says how many <paramref name="role"/> texts were cut to fit <see cref="ErnieTrainerOptionsBase.MaxSequenceLength"/> and how
    /// much they lost, as a warning when it is a fifth of them or more; returns (count, mean share of tokens lost).
    /// </summary>
    public static (int Count, double MeanDroppedShare) ReportTruncation(IChannel ch, IReadOnlyList<EncodedExample> examples, ErnieTrainerOptionsBase o, string role)
    {
        var cut = examples.Where(e => e.DroppedTokens > 0).ToList();
        if (cut.Count == 0) return (0, 0);
        double share = cut.Average(e => (double)e.DroppedTokens / (e.DroppedTokens + e.Length));
        var message = $"{cut.Count} of {examples.Count} {role} texts ({(double)cut.Count / examples.Count:P0}) were cut to fit MaxSequenceLength {o.MaxSequenceLength}, " +
                      $"losing {share:P0} of their tokens on average";
        if (cut.Count * 5 >= examples.Count)
            ch.Warning(message + ": the model sees only part of many texts. Raise MaxSequenceLength (up to the model's positions) or use a model with more positions.");
        else ch.Info(message);
        return (cut.Count, share);
    }

    /// <summary>Checks that validation data uses the same label set as training.</summary>
    public static void CheckValidationSchema(IHost host, IDataView validation, ErnieTrainerOptionsBase o, int classCount, bool multiLabel = false)
    {
        InputColumns.CheckTrainingSchema(host, SchemaShape.Create(validation.Schema), o, multiLabel);
        var count = InputColumns.KeyCount(validation.Schema[o.LabelColumnName].Type);
        if ((int)count != classCount)
            throw host.Except($"The validation set's label key has {count} values but the training set's has {classCount}; map both with the same MapValueToKey transformer (fit it once, apply it to both).");
    }

    public static TrainingSettings Settings(ErnieTrainerOptionsBase o, double headLearningRate, int padId, IReadOnlyDictionary<string, string> checkpointFiles = null,
        AdditionalTrainingRows additional = null, LabelObjective objective = null) => new()
    {
        Objective = objective ?? LabelObjective.SingleLabel,
        DistillationTemperature = additional?.Temperature ?? 1.0,
        CheckpointDirectory = o.CheckpointDirectory, SaveSteps = o.CheckpointDirectory is null ? 0 : o.SaveSteps > 0 ? o.SaveSteps : int.MaxValue,
        SaveTotalLimit = o.SaveTotalLimit, ResumeFromCheckpoint = o.ResumeFromCheckpoint, CheckpointFiles = checkpointFiles, Progress = o.Progress, Cancellation = o.CancellationToken,
        BatchSize = o.BatchSize, EvalBatchSize = o.EvalBatchSize, MaxSteps = o.MaxSteps, NumberOfEpochs = o.NumberOfEpochs,
        LearningRate = o.LearningRate, HeadLearningRate = headLearningRate, WeightDecay = o.WeightDecay, WarmupSteps = o.WarmupSteps,
        MaxGradNorm = o.MaxGradNorm, EvalSteps = o.EvalSteps, EarlyStoppingPatience = o.EarlyStoppingPatience, LoggingSteps = o.LoggingSteps,
        Seed = o.Seed, FreezePlm = o.FreezePlm, FreezeDropout = o.FreezeDropout, UseRDrop = o.UseRDrop, AlphaRDrop = o.AlphaRDrop,
        UseRgl = o.UseRgl, AlphaRgl = o.AlphaRgl, PadId = padId,
    };

    /// <summary>Runs training on the device chosen by the environment.</summary>
    public static TrainingReport Train(IHost host, ClassifierNet net, List<EncodedExample> train, List<EncodedExample> validation, TrainingSettings settings, int threads, string name)
    {
        if (threads > 0) set_num_threads(threads);
        var device = HostDevice.Pick(host);
        net.to(device);
        using var ch = host.Start("Training");
        using var pch = host.StartProgressChannel(name + " training");
        ch.Info($"{name}: {train.Count} training examples, {validation?.Count ?? 0} validation examples, {net.ClassCount} classes, device {device.type}");
        if (settings.MaxSteps <= 0 && settings.NumberOfEpochs <= 0)
        {
            ch.Info($"{name}: MaxSteps and NumberOfEpochs are 0: no training (zero-shot scoring with the pretrained weights).");
            net.eval();
            return new TrainingReport(0, 0, double.NaN, 0, 0, Array.Empty<EvaluationPoint>());
        }
        var report = ClassifierTrainingLoop.Run(net, train, validation, settings, device, m => ch.Info(m), status => pch.SetHeader(
            new ProgressHeader(new[] { "Loss", "Validation " + (settings.Objective ?? LabelObjective.SingleLabel).ScoreName }, new[] { "Step" }), e =>
            {
                var now = status();
                e.SetProgress(0, now.Step, now.TotalSteps);
                e.SetMetric(0, now.Loss);
                if (now.ValidationAccuracy is { } accuracy) e.SetMetric(1, accuracy);
            }), host.CheckAlive);
        ch.Info($"{name}: {report.Steps} steps in {report.TrainSeconds:F1} s ({report.SamplesPerSecond:F1} samples/s); kept step {report.BestStep}" +
                (double.IsNaN(report.BestValidationAccuracy) ? "" : $" (validation {(settings.Objective ?? LabelObjective.SingleLabel).ScoreName} {report.BestValidationAccuracy:P2})"));
        return report;
    }
}
