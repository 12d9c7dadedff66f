using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Pretraining;
using Microsoft.ML.PromptLearning.Training;
using static Microsoft.ML.PromptLearning.Cli.OptionChecks;

namespace Microsoft.ML.PromptLearning.Cli.Commands;

/// <summary>
/// <c>prompt-learn pretrain</c>: continued (domain-adaptive) masked-language-model pretraining of a checkpoint on
/// unlabeled text (PaddleNLP's <c>data.txt</c>: one text per line), or pretraining from a config and vocabulary.
/// Resumes from the newest complete checkpoint in the output folder; Ctrl+C stops after the current step with a
/// checkpoint (exit code 130).
/// </summary>
internal sealed class PretrainCommand : System.CommandLine.Command
{
    public const int Interrupted = 130;
    public const int Terminated = 143;

    private readonly Option<string> model = new("--model-name-or-path", "--model") { Description = "Checkpoint folder to continue pretraining (config.json, vocab.txt, model.safetensors or pytorch_model.bin). Models are not downloaded.", HelpName = "DIR" };
    private readonly Option<string> config = new("--config") { Description = "config.json of a new, randomly initialised model (instead of --model-name-or-path; needs --vocab).", HelpName = "CONFIG.json" };
    private readonly Option<string> vocab = new("--vocab") { Description = "vocab.txt of the new model (with --config).", HelpName = "VOCAB.txt" };
    private readonly Option<List<string>> trainFiles = new("--train-file") { Description = "Unlabeled text, one text per line, plain or .xz; repeat the option for more files (a file given twice is read twice).", Required = true, HelpName = "FILE" };
    private readonly Option<string> outputDir = new("--output-dir", "-o") { Description = "Folder for checkpoints, metrics.jsonl and the final model (Hugging Face layout).", Required = true, HelpName = "DIR" };
    private readonly Option<long> maxSteps = new("--max-steps") { HelpName = "N", Description = "Optimizer steps in total, counting those of earlier runs into the same --output-dir.", DefaultValueFactory = _ => 1000 };
    private readonly Option<int> batchSize = new("--per-device-train-batch-size") { HelpName = "N", Description = "Sequences per micro-batch.", DefaultValueFactory = _ => 32 };
    private readonly Option<int> accumulation = new("--gradient-accumulation-steps") { HelpName = "N", Description = "Micro-batches per optimizer step.", DefaultValueFactory = _ => 1 };
    private readonly Option<int> maxSeqLength = new("--max-seq-length") { HelpName = "N", Description = "Tokens per packed sequence, [CLS] and [SEP] included; at most the model's max_position_embeddings.", DefaultValueFactory = _ => 128 };
    private readonly Option<double> learningRate = new("--learning-rate") { HelpName = "RATE", Description = "Peak learning rate (AdamW).", DefaultValueFactory = _ => 1e-4 };
    private readonly Option<long?> warmupSteps = new("--warmup-steps") { HelpName = "N", Description = "Linear warmup steps [default: 10% of --max-steps]." };
    private readonly Option<string> lrDecay = new("--lr-decay") { Description = "Learning-rate shape after warmup.", DefaultValueFactory = _ => "linear", HelpName = "linear|cosine|constant" };
    private readonly Option<double> embeddingLrScale = new("--embedding-lr-scale") { HelpName = "FACTOR", Description = "Multiplier on the word embeddings' learning rate: below 1 limits their drift from the starting checkpoint, 0 freezes them (with an untied decoder the output layer still trains).", DefaultValueFactory = _ => 1.0 };
    private readonly Option<double> weightDecay = new("--weight-decay") { HelpName = "RATE", Description = "AdamW weight decay (not on biases and LayerNorms).", DefaultValueFactory = _ => 0.01 };
    private readonly Option<double> maskProbability = new("--mask-probability") { HelpName = "P", Description = "Fraction of tokens to predict (80% [MASK], 10% random, 10% unchanged).", DefaultValueFactory = _ => 0.15 };
    private readonly Option<bool> wholeWordMasking = new("--whole-word-masking") { Description = "Mask whole Chinese words (jieba segmentation, dictionary included) instead of single characters." };
    private readonly Option<int> evalSteps = new("--eval-steps") { HelpName = "N", Description = "Evaluate masked-token accuracy on held-out lines every N steps.", DefaultValueFactory = _ => 200 };
    private readonly Option<int> saveSteps = new("--save-steps") { HelpName = "N", Description = "Write a checkpoint every N steps.", DefaultValueFactory = _ => 200 };
    private readonly Option<int> saveTotalLimit = new("--save-total-limit") { HelpName = "N", Description = "Keep at most this many checkpoints.", DefaultValueFactory = _ => 2 };
    private readonly Option<int> loggingSteps = new("--logging-steps") { HelpName = "N", Description = "Print progress every N steps.", DefaultValueFactory = _ => 20 };
    private readonly Option<int> heldOutEvery = new("--held-out-every") { HelpName = "N", Description = "Hold out about one line in N (by a hash of its text) for evaluation.", DefaultValueFactory = _ => 500 };
    private readonly Option<int> seed = new("--seed") { HelpName = "N", Description = "Seed for shuffling, masking, dropout and initialisation.", DefaultValueFactory = _ => 42 };
    private readonly Option<int> threads = new("--threads") { HelpName = "N", Description = "CPU threads for TorchSharp (0 = its default)." };
    private readonly Option<double?> timeLimit = new("--time-limit-minutes") { HelpName = "MINUTES", Description = "Stop with a checkpoint after this many minutes (run again to continue)." };
    private readonly Option<string> charVectors = new("--char-vectors") { Description = "Pretrained character vectors (safetensors [N, D]) to initialise the embeddings of a --config model.", HelpName = "FILE" };
    private readonly Option<string> charVectorsTokens = new("--char-vectors-tokens") { Description = "N lines naming the rows of --char-vectors.", HelpName = "FILE" };
    private readonly Option<bool> saveHalf = new("--save-half") { Description = "Store the final model in float16 (half the size)." };

    private readonly TextWriter stdout;
    private readonly CancellationToken externalCancellation;

    public PretrainCommand(TextWriter stdout, CancellationToken cancellation)
        : base("pretrain", "Continued (domain-adaptive) masked-language-model pretraining on unlabeled text, one text per line. " +
                           "Running the same command again resumes from the newest complete checkpoint in --output-dir; " +
                           "Ctrl+C stops after the current step and writes a checkpoint (exit code 130).")
    {
        this.stdout = stdout;
        externalCancellation = cancellation;
        lrDecay.AcceptOnlyFromAmong("linear", "cosine", "constant");
        Positive(maxSteps);
        Positive(batchSize, accumulation, evalSteps, saveSteps, saveTotalLimit, loggingSteps, heldOutEvery);
        NonNegative(threads);
        NonNegative(warmupSteps);
        Validate(maxSeqLength, v => v >= 8, "must be at least 8");
        Validate(learningRate, v => v > 0, "must be positive");
        Validate(weightDecay, v => v >= 0, "must not be negative");
        Validate(embeddingLrScale, v => v >= 0, "must not be negative");
        Validate(maskProbability, v => v is > 0 and < 1, "must lie between 0 and 1");
        Validate(timeLimit, v => v is null or > 0, "must be positive");
        foreach (var o in new Option[] { model, config, vocab, trainFiles, outputDir, maxSteps, batchSize, accumulation, maxSeqLength, learningRate,
                     warmupSteps, lrDecay, embeddingLrScale, weightDecay, maskProbability, wholeWordMasking, evalSteps, saveSteps, saveTotalLimit, loggingSteps,
                     heldOutEvery, seed, threads, timeLimit, charVectors, charVectorsTokens, saveHalf })
            Options.Add(o);
        SetAction(Execute);
    }

    private int Execute(ParseResult parsed)
    {
        var options = BuildOptions(parsed);
        bool terminal = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
        var clockFormat = CultureInfo.InvariantCulture;
        options.Log = line =>
        {
            // Plain lines (as the trainer writes them) unless a person is watching a terminal, who also gets the time.
            lock (stdout) stdout.WriteLine(terminal ? $"[{DateTime.Now.ToString("HH:mm:ss", clockFormat)}] {line}" : line);
            stdout.Flush();
        };

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(externalCancellation);
        int signal = 0;
        void OnSignal(PosixSignalContext context)
        {
            if (cts.IsCancellationRequested) return;   // a second Ctrl+C ends the process at once
            context.Cancel = true;
            signal = context.Signal == PosixSignal.SIGTERM ? Terminated : Interrupted;
            options.Log("interrupted: finishing the current step and writing a checkpoint (press Ctrl+C again to quit at once)");
            cts.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        var result = new MlmPretrainer(options).Run(cts.Token);

        var accuracy = double.IsNaN(result.HeldOutAccuracy) ? "n/a (no held-out lines)" : result.HeldOutAccuracy.ToString("P2", CultureInfo.InvariantCulture);
        var summary = $"step {result.Step}/{options.MaxSteps}, {result.TokensSeen:N0} tokens, held-out masked accuracy {accuracy}";
        if (cts.IsCancellationRequested && result.Step < options.MaxSteps)
        {
            options.Log($"stopped at {summary}; checkpoint in {Path.Combine(options.OutputDir, $"checkpoint-{result.Step}")}. Run the same command again to resume.");
            return signal != 0 ? signal : Interrupted;
        }
        if (result.Step < options.MaxSteps)
        {
            options.Log($"time limit reached at {summary}; run the same command again to continue.");
            return CliApp.Success;
        }
        options.Log($"done: {summary}; model saved to {options.OutputDir} (metrics in metrics.jsonl)");
        return CliApp.Success;
    }

    /// <summary>Checks what can be checked before loading anything (usage errors, exit code 2) and maps the options.</summary>
    private MlmPretrainingOptions BuildOptions(ParseResult parsed)
    {
        var modelDir = parsed.GetValue(model);
        var configPath = parsed.GetValue(config);
        var vocabPath = parsed.GetValue(vocab);
        var output = CliPaths.OutputFolder("--output-dir", parsed.GetValue(outputDir));
        var files = parsed.GetValue(trainFiles) ?? new List<string>();
        var vectors = parsed.GetValue(charVectors);
        var vectorTokens = parsed.GetValue(charVectorsTokens);

        if (modelDir is null && configPath is null)
            throw new UsageException("give --model-name-or-path DIR (continue pretraining a checkpoint) or --config CONFIG.json with --vocab VOCAB.txt (a new model).");
        if (modelDir is not null && (configPath is not null || vocabPath is not null))
            throw new UsageException("--model-name-or-path cannot be combined with --config or --vocab: the checkpoint has its own.");
        if (configPath is not null && vocabPath is null) throw new UsageException("--config needs --vocab VOCAB.txt.");
        if (vocabPath is not null && configPath is null) throw new UsageException("--vocab needs --config CONFIG.json.");
        if ((vectors is null) != (vectorTokens is null)) throw new UsageException("--char-vectors and --char-vectors-tokens go together.");
        if (vectors is not null && modelDir is not null)
            throw new UsageException("--char-vectors initialises a new model; it cannot be used with --model-name-or-path.");

        if (modelDir is not null && !Directory.Exists(modelDir))
            throw new UsageException(File.Exists(modelDir)
                ? $"--model-name-or-path: '{modelDir}' is a file; give the checkpoint folder that holds it (config.json, vocab.txt, weights)."
                : $"--model-name-or-path: folder '{modelDir}' does not exist (models are not downloaded; give a local checkpoint folder).");
        RequireFile("--config", configPath);
        RequireFile("--vocab", vocabPath);
        RequireFile("--char-vectors", vectors);
        RequireFile("--char-vectors-tokens", vectorTokens);
        foreach (var f in files) RequireFile("--train-file", f);
        if (modelDir is not null && SamePath(modelDir, output))
            throw new UsageException("--output-dir must differ from --model-name-or-path (the final model would overwrite the one it starts from).");

        // Reading the configuration now turns a bad config.json or a too-long --max-seq-length into an error before any work.
        var modelConfig = modelDir is not null ? ErnieCheckpoint.LoadConfig(modelDir) : ErnieConfig.Load(configPath);
        int length = parsed.GetValue(maxSeqLength);
        if (length > modelConfig.MaxPositionEmbeddings)
            throw new UsageException($"--max-seq-length {length} exceeds the model's max_position_embeddings ({modelConfig.MaxPositionEmbeddings}).");

        long steps = parsed.GetValue(maxSteps);
        var minutes = parsed.GetValue(timeLimit);
        return new MlmPretrainingOptions
        {
            InitFrom = modelDir,
            Config = modelDir is null ? modelConfig : null,
            VocabPath = vocabPath,
            TrainFiles = files,
            OutputDir = output,
            MaxSteps = steps,
            BatchSize = parsed.GetValue(batchSize),
            GradientAccumulationSteps = parsed.GetValue(accumulation),
            SequenceLength = length,
            LearningRate = parsed.GetValue(learningRate),
            WarmupSteps = parsed.GetValue(warmupSteps) ?? (long)Math.Round(steps * 0.1),
            Decay = parsed.GetValue(lrDecay) switch { "cosine" => DecayShape.Cosine, "constant" => DecayShape.Constant, _ => DecayShape.Linear },
            WeightDecay = parsed.GetValue(weightDecay),
            EmbeddingLearningRateScale = parsed.GetValue(embeddingLrScale),
            MaskProbability = parsed.GetValue(maskProbability),
            WholeWordMasking = parsed.GetValue(wholeWordMasking),
            EvalSteps = parsed.GetValue(evalSteps),
            SaveSteps = parsed.GetValue(saveSteps),
            SaveTotalLimit = parsed.GetValue(saveTotalLimit),
            LoggingSteps = parsed.GetValue(loggingSteps),
            HeldOutEvery = parsed.GetValue(heldOutEvery),
            Seed = parsed.GetValue(seed),
            Threads = parsed.GetValue(threads),
            TimeLimit = minutes is { } m ? TimeSpan.FromMinutes(m) : null,
            CharVectorsPath = vectors,
            CharVectorsTokensPath = vectorTokens,
            SaveFinalHalf = parsed.GetValue(saveHalf),
        };
    }

    private static void RequireFile(string option, string path)
    {
        if (path is not null) CliPaths.File(option, path);
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd(Path.DirectorySeparatorChar), Path.GetFullPath(b).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal);
}
