using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Training;

namespace Microsoft.ML.PromptLearning.Pretraining;

/// <summary>Options of masked-language-model (continued) pretraining.</summary>
public sealed class MlmPretrainingOptions
{
    /// <summary>Folder for checkpoints, metrics and the final model (HF layout). Required.</summary>
    public string OutputDir { get; set; }

    /// <summary>Checkpoint folder to continue pretraining from (domain-adaptive pretraining). Null = random init from <see cref="Config"/> + <see cref="VocabPath"/>.</summary>
    public string InitFrom { get; set; }

    /// <summary>Architecture for a randomly initialised model (used when <see cref="InitFrom"/> is null).</summary>
    public ErnieConfig Config { get; set; }

    /// <summary>vocab.txt for a randomly initialised model.</summary>
    public string VocabPath { get; set; }

    /// <summary>Text files to train on: one text per line, plain or .xz. Required.</summary>
    public IList<string> TrainFiles { get; set; } = new List<string>();

    /// <summary>About one line in N (chosen by a stable hash of its text) is held out for evaluation and never trained on.</summary>
    public int HeldOutEvery { get; set; } = 500;

    /// <summary>Number of held-out sequences evaluated at each evaluation.</summary>
    public int EvalSequences { get; set; } = 256;

    /// <summary>Tokens per training sequence including [CLS] and [SEP]; must not exceed the model's max_position_embeddings.</summary>
    public int SequenceLength { get; set; } = 128;

    /// <summary>Sequences per micro-batch.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Micro-batches whose gradients are summed before each optimizer step.</summary>
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>Optimizer steps to run in total (across resumes).</summary>
    public long MaxSteps { get; set; } = 1000;

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Multiplier on the learning rate of the word embeddings (and so the tied decoder); below 1 limits drift from their initialisation.</summary>
    public double EmbeddingLearningRateScale { get; set; } = 1.0;

    /// <summary>Linear warmup steps.</summary>
    public long WarmupSteps { get; set; } = 100;

    /// <summary>Decay after warmup.</summary>
    public DecayShape Decay { get; set; } = DecayShape.Cosine;

    /// <summary>AdamW weight decay (not applied to biases and LayerNorms).</summary>
    public double WeightDecay { get; set; } = 0.01;

    /// <summary>Global gradient-norm clip.</summary>
    public double MaxGradNorm { get; set; } = 1.0;

    /// <summary>Fraction of ordinary tokens to predict.</summary>
    public double MaskProbability { get; set; } = 0.15;

    /// <summary>
    /// Whole-word masking: select whole Chinese words (segmented by <see cref="WordSegmenter"/>) instead of single
    /// characters; all tokens of a word are predicted together. Off by default (character-level masking).
    /// </summary>
    public bool WholeWordMasking { get; set; }

    /// <summary>Word segmenter for <see cref="WholeWordMasking"/>; null = jieba with the dictionary of the jieba.NET package (<see cref="JiebaWordSegmenter.Shared"/>).</summary>
    public IWordSegmenter WordSegmenter { get; set; }

    /// <summary>Evaluate on held-out text every N steps.</summary>
    public int EvalSteps { get; set; } = 200;

    /// <summary>Write a checkpoint every N steps.</summary>
    public int SaveSteps { get; set; } = 200;

    /// <summary>Keep at most this many checkpoints (oldest removed first).</summary>
    public int SaveTotalLimit { get; set; } = 2;

    /// <summary>Log progress every N steps.</summary>
    public int LoggingSteps { get; set; } = 20;

    /// <summary>Seed for shuffling, masking and dropout.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Intra-op threads for TorchSharp; 0 = leave the default.</summary>
    public int Threads { get; set; }

    /// <summary>Stop (after writing a checkpoint) once this much wall time has passed in this run; null = no limit.</summary>
    public TimeSpan? TimeLimit { get; set; }

    /// <summary>Optional pretrained character vectors (safetensors [N, D]) to initialise the word embeddings of a random-init model.</summary>
    public string CharVectorsPath { get; set; }

    /// <summary>The N lines naming the rows of <see cref="CharVectorsPath"/>.</summary>
    public string CharVectorsTokensPath { get; set; }

    /// <summary>Store the final model in float16 (half the size).</summary>
    public bool SaveFinalHalf { get; set; }

    /// <summary>Where progress lines go (default: the console).</summary>
    public Action<string> Log { get; set; } = Console.WriteLine;
}
