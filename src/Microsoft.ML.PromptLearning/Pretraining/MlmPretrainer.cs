using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Tokenization;
using Microsoft.ML.PromptLearning.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Pretraining;

/// <summary>Summary of a pretraining run.</summary>
/// <param name="Step">Optimizer steps completed (across resumes).</param>
/// <param name="TokensSeen">Training tokens processed (across resumes).</param>
/// <param name="HeldOutAccuracy">Masked-token accuracy on held-out text at the end.</param>
/// <param name="HeldOutLoss">Mean cross-entropy on held-out masked tokens at the end.</param>
/// <param name="ModelDir">Folder holding the final model in HF layout.</param>
public sealed record MlmPretrainingResult(long Step, long TokensSeen, double HeldOutAccuracy, double HeldOutLoss, string ModelDir);

/// <summary>
/// Masked-language-model pretraining of an ERNIE/BERT model on unlabeled text: continued (domain-adaptive) pretraining
/// of an existing checkpoint, or training from scratch. Dynamic 80/10/10 masking, sequence packing, loss only at masked
/// positions (gathered before the vocabulary projection), AdamW with warmup and decay, gradient accumulation,
/// held-out evaluation, checkpoints with exact resume after the process is killed.
/// </summary>
public sealed class MlmPretrainer
{
    private const string StateFile = "trainer_state.json";
    private readonly MlmPretrainingOptions o;

    /// <summary>
    /// Whether the starting checkpoint had pooler weights. Masked-LM training leaves the pooler untouched, so the outputs keep
    /// a pretrained pooler and leave out a random one.
    /// </summary>
    private bool hasPretrainedPooler;

    /// <summary>Creates a pretrainer; nothing runs until <see cref="Run"/>.</summary>
    public MlmPretrainer(MlmPretrainingOptions options)
    {
        o = options ?? throw new ArgumentNullException(nameof(options));
        if (string.IsNullOrEmpty(o.OutputDir)) throw new ArgumentException("OutputDir is required.", nameof(options));
        if (o.TrainFiles is not { Count: > 0 }) throw new ArgumentException("Give at least one training text file.", nameof(options));
        if (o.InitFrom is null && (o.Config is null || o.VocabPath is null)) throw new ArgumentException("Give InitFrom (a checkpoint folder) or both Config and VocabPath.", nameof(options));
        if (o.BatchSize < 1 || o.GradientAccumulationSteps < 1 || o.MaxSteps < 1) throw new ArgumentException("BatchSize, GradientAccumulationSteps and MaxSteps must be positive.", nameof(options));
    }

    /// <summary>Trains until <see cref="MlmPretrainingOptions.MaxSteps"/> (or the time limit / cancellation), resuming from the newest complete checkpoint in the output folder.</summary>
    public MlmPretrainingResult Run(CancellationToken cancellation = default)
    {
        if (o.Threads > 0) set_num_threads(o.Threads);
        Directory.CreateDirectory(o.OutputDir);
        var (model, tokenizer) = CreateModel();
        if (o.SequenceLength > model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"SequenceLength {o.SequenceLength} exceeds the model's max_position_embeddings {model.Config.MaxPositionEmbeddings}.");

        var (trainLines, heldOutLines) = ReadCorpus();
        o.Log($"corpus: {trainLines.Count:N0} training lines, {heldOutLines.Count:N0} held-out lines; model {model.parameters().Sum(p => p.numel()):N0} parameters, vocab {tokenizer.VocabSize:N0}");
        var segmenter = o.WholeWordMasking ? o.WordSegmenter ?? JiebaWordSegmenter.Shared : null;
        if (segmenter is not null)
            o.Log($"whole-word masking: words from {(segmenter is JiebaWordSegmenter jieba ? $"jieba ({jieba.DictionaryFolder})" : segmenter.GetType().Name)}");
        var heldOut = BuildHeldOut(heldOutLines, tokenizer, segmenter);
        var masker = new MlmMasker(tokenizer.MaskId, tokenizer.VocabSize, new[] { tokenizer.ClsId, tokenizer.SepId, tokenizer.PadId, tokenizer.UnknownId }, o.MaskProbability);

        var embeddingName = "ernie.embeddings.word_embeddings.weight";
        var named = model.named_parameters().ToList();
        var sets = new List<ParameterSet>
        {
            new(named.Where(p => p.name != embeddingName).ToList(), o.LearningRate, o.WeightDecay),
            new(named.Where(p => p.name == embeddingName).ToList(), o.LearningRate * o.EmbeddingLearningRateScale, o.WeightDecay),
        };
        var (optimizer, peaks) = OptimizerFactory.AdamW(sets);

        var state = new PretrainingState();
        var resumeDir = LatestCheckpoint();
        if (resumeDir is not null)
        {
            state = Resume(resumeDir, model, optimizer);
            o.Log($"resumed from {resumeDir} at step {state.Step}");
        }
        var stream = new PackedSequenceStream(trainLines, tokenizer, o.SequenceLength, o.Seed, state.Stream, segmenter);
        StepLog.KeepUpToStep(MetricsPath, state.Step);   // rows after the checkpoint are written again

        var clock = Stopwatch.StartNew();
        long tokensAtStart = state.TokensSeen;
        double lossSum = 0; int lossCount = 0;
        (double Accuracy, double Loss) lastEval = (double.NaN, double.NaN);
        model.train();
        while (state.Step < o.MaxSteps)
        {
            if (cancellation.IsCancellationRequested || (o.TimeLimit is { } limit && clock.Elapsed > limit))
            {
                o.Log($"stopping at step {state.Step} ({(cancellation.IsCancellationRequested ? "cancelled" : "time limit")}); writing a checkpoint");
                break;
            }
            double factor = LearningRateSchedule.Factor(state.Step, o.WarmupSteps, o.MaxSteps, o.Decay);
            OptimizerFactory.ApplySchedule(optimizer, peaks, factor);
            manual_seed(o.Seed * 1_000_003L + state.Step);   // dropout depends only on (seed, step): exact resume
            double stepLoss = 0;
            for (int micro = 0; micro < o.GradientAccumulationSteps; micro++)
            {
                using var scope = NewDisposeScope();
                var sequences = Enumerable.Range(0, o.BatchSize).Select(_ => stream.NextSequence()).ToList();
                var batch = masker.Mask(sequences.Select(q => q.Ids).ToList(), segmenter is null ? null : sequences.Select(q => q.WordStarts).ToList(),
                    unchecked(o.Seed * 7919 + (int)state.Step * 131 + micro));
                var loss = MaskedLoss(model, batch) / o.GradientAccumulationSteps;
                loss.backward();
                stepLoss += loss.item<float>();
                state.TokensSeen += (long)batch.Batch * batch.Length;
            }
            nn.utils.clip_grad_norm_(model.parameters().Where(p => p.grad is not null), o.MaxGradNorm);
            optimizer.step();
            optimizer.zero_grad();
            state.Step++;
            lossSum += stepLoss; lossCount++;

            if (state.Step % o.LoggingSteps == 0 || state.Step == o.MaxSteps)
            {
                double tokensPerSecond = (state.TokensSeen - tokensAtStart) / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                double eta = (o.MaxSteps - state.Step) * (double)o.BatchSize * o.GradientAccumulationSteps * o.SequenceLength / Math.Max(1, tokensPerSecond);
                o.Log($"step {state.Step}/{o.MaxSteps} loss {lossSum / lossCount:F4} lr {peaks[0] * factor:E2} tokens {state.TokensSeen:N0} ({tokensPerSecond:F0}/s) ETA {TimeSpan.FromSeconds(eta):hh\\:mm\\:ss}");
                AppendMetrics(new { step = state.Step, tokens = state.TokensSeen, loss = lossSum / lossCount, lr = peaks[0] * factor, tokens_per_second = tokensPerSecond });
                lossSum = 0; lossCount = 0;
            }
            if (state.Step % o.EvalSteps == 0 || state.Step == o.MaxSteps)
            {
                lastEval = Evaluate(model, heldOut, masker);
                model.train();
                o.Log($"eval step {state.Step}: held-out masked accuracy {lastEval.Accuracy:P2}, loss {lastEval.Loss:F4}, perplexity {Math.Exp(lastEval.Loss):F1}");
                AppendMetrics(new { step = state.Step, tokens = state.TokensSeen, eval_accuracy = lastEval.Accuracy, eval_loss = lastEval.Loss });
            }
            if (state.Step % o.SaveSteps == 0) SaveCheckpoint(model, tokenizer, optimizer, state);
        }
        if (LatestCheckpoint() is not { } last || ReadState(last).Step != state.Step) SaveCheckpoint(model, tokenizer, optimizer, state);
        if (double.IsNaN(lastEval.Accuracy)) lastEval = Evaluate(model, heldOut, masker);
        model.eval();
        ErnieCheckpoint.Save(model, tokenizer, o.OutputDir, o.SaveFinalHalf, new Dictionary<string, string> { ["step"] = state.Step.ToString(), ["tokens_seen"] = state.TokensSeen.ToString() }, hasPretrainedPooler);
        return new MlmPretrainingResult(state.Step, state.TokensSeen, lastEval.Accuracy, lastEval.Loss, o.OutputDir);
    }

    /// <summary>Cross-entropy at the masked positions only: hidden states are gathered before the vocabulary projection.</summary>
    internal static Tensor MaskedLoss(ErnieForMaskedLM model, MlmBatch batch)
    {
        var ids = tensor(batch.InputIds, new long[] { batch.Batch, batch.Length });
        var hidden = model.Encode(new ErnieInputs { InputIds = ids }).LastHiddenState;                 // [B, L, H]
        var logits = model.PredictAt(hidden, tensor(batch.FlatPositions));                            // [M, V]
        return nn.functional.cross_entropy(logits, tensor(batch.Labels));
    }

    private (ErnieForMaskedLM, ErnieTokenizer) CreateModel()
    {
        if (o.InitFrom is not null)
        {
            var loaded = ErnieCheckpoint.Load(o.InitFrom);
            hasPretrainedPooler = loaded.HasPooler;
            return (loaded.Model, loaded.Tokenizer);
        }
        var tokenizer = ErnieTokenizer.FromVocabFile(o.VocabPath);
        var config = o.Config.Clone();
        if (config.VocabSize < tokenizer.VocabSize) config.VocabSize = tokenizer.VocabSize;
        manual_seed(o.Seed);
        var model = new ErnieForMaskedLM(config);
        if (o.CharVectorsPath is not null)
        {
            int rows = CharVectorInitializer.Apply(model, tokenizer, o.CharVectorsPath, o.CharVectorsTokensPath ?? throw new ArgumentException("CharVectorsTokensPath is required with CharVectorsPath."));
            o.Log($"initialised {rows:N0} of {tokenizer.VocabSize:N0} word embeddings from {Path.GetFileName(o.CharVectorsPath)}");
        }
        return (model, tokenizer);
    }

    private (List<string> Train, List<string> HeldOut) ReadCorpus()
    {
        var train = new List<string>();
        var heldOut = new List<string>();
        // A line is held out by a stable hash of its text, so a file listed twice (oversampling) never leaks held-out lines.
        foreach (var file in o.TrainFiles)
            foreach (var line in TextCorpus.ReadLines(file))
                (StableHash(line) % (ulong)o.HeldOutEvery == 0 ? heldOut : train).Add(line);
        if (train.Count == 0) throw new InvalidDataException("The training files contain no text.");
        return (train, heldOut);
    }

    /// <summary>FNV-1a over the UTF-16 code units (string.GetHashCode differs between processes).</summary>
    internal static ulong StableHash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s) { h ^= c; h *= 1099511628211UL; }
        return h;
    }

    private List<PackedSequence> BuildHeldOut(List<string> lines, ErnieTokenizer tokenizer, IWordSegmenter segmenter)
    {
        if (lines.Count == 0) return new List<PackedSequence>();
        var stream = new PackedSequenceStream(lines, tokenizer, o.SequenceLength, seed: 12345, wordSegmenter: segmenter);
        var result = new List<PackedSequence>();
        int maxSequences = Math.Min(o.EvalSequences, Math.Max(1, lines.Sum(l => l.Length) / o.SequenceLength));
        while (result.Count < maxSequences) result.Add(stream.NextSequence());
        return result;
    }

    /// <summary>Masked-token accuracy and mean loss on the held-out sequences with fixed masks.</summary>
    private (double Accuracy, double Loss) Evaluate(ErnieForMaskedLM model, List<PackedSequence> heldOut, MlmMasker masker)
    {
        if (heldOut.Count == 0) return (double.NaN, double.NaN);
        model.eval();
        using var noGrad = no_grad();
        long correct = 0, total = 0;
        double lossSum = 0;
        for (int start = 0; start < heldOut.Count; start += o.BatchSize)
        {
            using var scope = NewDisposeScope();
            var part = heldOut.Skip(start).Take(o.BatchSize).ToList();
            var batch = masker.Mask(part.Select(q => q.Ids).ToList(), part[0].WordStarts is null ? null : part.Select(q => q.WordStarts).ToList(), seed: 777 + start);
            var ids = tensor(batch.InputIds, new long[] { batch.Batch, batch.Length });
            var hidden = model.Encode(new ErnieInputs { InputIds = ids }).LastHiddenState;
            var logits = model.PredictAt(hidden, tensor(batch.FlatPositions));
            var labels = tensor(batch.Labels);
            lossSum += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
            correct += logits.argmax(-1).eq(labels).sum().item<long>();
            total += batch.Labels.Length;
        }
        return ((double)correct / total, lossSum / total);
    }

    // ---- checkpoints -------------------------------------------------------------------------------------------

    private sealed class PretrainingState
    {
        public long Step { get; set; }
        public long TokensSeen { get; set; }
        public StreamPosition Stream { get; set; } = new();
    }

    private string LatestCheckpoint() => CheckpointFolders.Latest(o.OutputDir, StateFile);

    private static PretrainingState ReadState(string dir) =>
        JsonSerializer.Deserialize<PretrainingState>(File.ReadAllText(Path.Combine(dir, StateFile)))
        ?? throw new InvalidDataException($"'{dir}/{StateFile}' is empty.");

    private void SaveCheckpoint(ErnieForMaskedLM model, ErnieTokenizer tokenizer, AdamW optimizer, PretrainingState state)
    {
        var final = CheckpointFolders.Write(o.OutputDir, state.Step, StateFile, dir =>
        {
            ErnieCheckpoint.Save(model, tokenizer, dir, includePooler: hasPretrainedPooler);
            optimizer.save_state_dict(Path.Combine(dir, "optimizer.bin"));
        }, () => JsonSerializer.Serialize(state), o.SaveTotalLimit);
        o.Log($"saved {final}");
    }

    private static PretrainingState Resume(string dir, ErnieForMaskedLM model, AdamW optimizer)
    {
        var state = ReadState(dir);
        ErnieCheckpoint.LoadWeights(model, Path.Combine(dir, ErnieCheckpoint.WeightsFileName));
        optimizer.load_state_dict(Path.Combine(dir, "optimizer.bin"));
        return state;
    }

    private string MetricsPath => Path.Combine(o.OutputDir, "metrics.jsonl");

    private static readonly JsonSerializerOptions MetricsJson = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private void AppendMetrics(object row) => File.AppendAllText(MetricsPath, JsonSerializer.Serialize(row, MetricsJson) + "\n");
}
