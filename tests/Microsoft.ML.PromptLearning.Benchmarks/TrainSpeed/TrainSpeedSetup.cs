using System.Text.Json.Nodes;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.Data;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.MLNet;
using Microsoft.ML.PromptLearning.Prompting;
using Microsoft.ML.PromptLearning.Tokenization;
using Microsoft.ML.PromptLearning.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Benchmarks.TrainSpeed;

/// <summary>
/// What both sides of the training comparison share: a checkpoint folder (the bundled model, or random weights of another
/// shape written once to a temporary folder), the prompt-encoded training rows, and the batches of every step in the order
/// the training loop takes them. Each side builds a fresh prompt model from the checkpoint for every timed round.
/// </summary>
internal sealed class TrainSpeedSetup : IDisposable
{
    private readonly RandomCheckpoint random;

    private TrainSpeedSetup(string checkpoint, RandomCheckpoint random)
    {
        Checkpoint = checkpoint;
        this.random = random;
    }

    public string Checkpoint { get; }
    public FewShotDataFolder Data { get; private init; }
    public PromptInputEncoder Encoder { get; private init; }
    public ErnieConfig Config { get; private init; }
    public ErnieTokenizer Tokenizer { get; private init; }
    public Template Template { get; private init; }
    public IReadOnlyList<PromptSetup.LabelWordEntry> Words { get; private init; }
    public IReadOnlyList<EncodedExample> Examples { get; private init; }
    public TrainingSettings Settings { get; private init; }
    /// <summary>Whether dropout is on while training (true, as in real training; false makes both sides deterministic and comparable step by step).</summary>
    public bool Dropout { get; set; } = true;
    /// <summary>Example indices of every step, in the order the training loop runs them.</summary>
    public IReadOnlyList<int[]> StepBatches { get; private init; }

    /// <summary>Mean padded length of the step batches (tokens per row after padding to the longest of the batch).</summary>
    public double MeanPaddedLength => StepBatches.Average(b => b.Max(i => Examples[i].Length));

    /// <summary>
    /// Mean padded length of batches drawn the way PaddleNLP's trainer draws them (a shuffled epoch cut into consecutive
    /// batches, no length grouping) over the same number of steps: what this library's length bucketing saves.
    /// </summary>
    public double MeanPaddedLengthUnbucketed()
    {
        var rng = new Random(Settings.Seed);
        var lengths = new List<int>();
        while (lengths.Count < StepBatches.Count)
        {
            var order = Enumerable.Range(0, Examples.Count).ToArray();
            rng.Shuffle(order);
            for (int i = 0; i < order.Length && lengths.Count < StepBatches.Count; i += Settings.BatchSize)
                lengths.Add(order.Skip(i).Take(Settings.BatchSize).Max(j => Examples[j].Length));
        }
        return lengths.Average();
    }

    /// <summary>Mean real length of the rows of the step batches.</summary>
    public double MeanLength => StepBatches.SelectMany(b => b).Average(i => Examples[i].Length);

    /// <summary>
    /// Loads (or, for <paramref name="randomShape"/>, creates and saves) the model, encodes the first column of
    /// <paramref name="trainFile"/> with the template and lists the step batches.
    /// </summary>
    public static TrainSpeedSetup Create(string modelFolder, ErnieConfig randomShape, string vocabPath, FewShotDataFolder data, string trainFile,
        string prompt, int batchSize, int steps, int maxLength, int seed, double learningRate = 3e-5, double headLearningRate = 3e-4)
    {
        var random = randomShape is null ? null : new RandomCheckpoint(randomShape, vocabPath, seed);
        string checkpoint = random?.Folder ?? modelFolder;
        var config = ErnieCheckpoint.LoadConfig(checkpoint);
        var tokenizer = ErnieTokenizer.FromVocabFile(Path.Combine(checkpoint, "vocab.txt"));
        var template = Template.FromPrompt(prompt);
        var words = data.Labels.Select(l => new PromptSetup.LabelWordEntry(l, data.LabelWords[l])).ToList();
        var encoder = new PromptInputEncoder(new PromptEncoder(template, tokenizer, maxLength));
        var examples = Encode(data, trainFile, encoder);
        var settings = new TrainingSettings
        {
            BatchSize = batchSize, MaxSteps = steps, LearningRate = learningRate, HeadLearningRate = headLearningRate, MaxGradNorm = 1.0, Seed = seed,
            LoggingSteps = 0, PadId = tokenizer.PadId,
        };
        return new TrainSpeedSetup(checkpoint, random)
        {
            Data = data, Encoder = encoder,
            Config = config, Tokenizer = tokenizer, Template = template, Words = words, Examples = examples, Settings = settings,
            StepBatches = StepOrder(examples, settings),
        };
    }

    /// <summary>Encodes the labelled rows of <paramref name="fileName"/> in the data folder with the template.</summary>
    public List<EncodedExample> Encode(string fileName) => Encode(Data, fileName, Encoder);

    private static List<EncodedExample> Encode(FewShotDataFolder data, string fileName, PromptInputEncoder encoder)
    {
        var labelIndex = data.Labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i);
        return data.ReadLabeled(fileName).Select(r => encoder.Encode(r.Text, null, labelIndex[r.Label])).ToList();
    }

    /// <summary>
    /// The batches of steps 0..MaxSteps-1 as <see cref="ClassifierTrainingLoop"/> takes them: epoch e is
    /// <see cref="LengthBuckets.TrainingBatches"/> drawn with the seed <c>seed·1000003 + e</c>.
    /// </summary>
    private static List<int[]> StepOrder(IReadOnlyList<EncodedExample> examples, TrainingSettings s)
    {
        var lengths = examples.Select(e => e.Length).ToArray();
        var steps = new List<int[]>();
        for (int epoch = 0; steps.Count < s.MaxSteps; epoch++)
            steps.AddRange(LengthBuckets.TrainingBatches(lengths, s.BatchSize, new Random(unchecked(s.Seed * 1_000_003 + epoch))));
        return steps.Take((int)s.MaxSteps).ToList();
    }

    /// <summary>A fresh prompt model (PLM from the checkpoint, soft verbalizer initialised from the label words).</summary>
    public PromptClassifier CreateNet()
    {
        manual_seed(Settings.Seed);
        var plm = ErnieCheckpoint.Load(Checkpoint);
        manual_seed(Settings.Seed);
        return PromptSetup.CreateNet(plm.Model, plm.Tokenizer, Template, Words, PromptVerbalizerKind.Soft);
    }

    /// <summary>The specification the PyTorch loop reads (tests/reference/train_speed.py).</summary>
    public JsonObject PeerSpec(int threads) => new()
    {
        ["checkpoint"] = Path.GetFullPath(Checkpoint),
        ["threads"] = threads,
        ["pad_id"] = Tokenizer.PadId,
        ["steps"] = Settings.MaxSteps,
        ["lr"] = Settings.LearningRate,
        ["head_lr"] = Settings.HeadLearningRate,
        ["weight_decay"] = Settings.WeightDecay,
        ["max_grad_norm"] = Settings.MaxGradNorm,
        ["warmup_steps"] = Settings.WarmupSteps,
        ["seed"] = Settings.Seed,
        ["dropout"] = Dropout,
        ["label_token_ids"] = new JsonArray(Words.Select(w => (JsonNode)Ints(Tokenizer.Tokenize(w.Words[0]))).ToArray()),
        ["examples"] = new JsonArray(Examples.Select(e => (JsonNode)new JsonObject
        {
            ["input_ids"] = Ints(e.InputIds), ["token_type_ids"] = Ints(e.TokenTypeIds),
            ["position_ids"] = e.PositionIds is null ? null : Ints(e.PositionIds), ["mask_positions"] = Ints(e.MaskPositions), ["label"] = e.Label,
        }).ToArray()),
        ["batches"] = new JsonArray(StepBatches.Select(b => (JsonNode)Ints(b)).ToArray()),
    };

    private static JsonArray Ints(IEnumerable<int> xs) => new(xs.Select(x => (JsonNode)x).ToArray());

    public void Dispose() => random?.Dispose();
}
