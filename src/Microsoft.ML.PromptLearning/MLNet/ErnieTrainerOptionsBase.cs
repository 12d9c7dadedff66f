using Microsoft.ML.Data;

namespace Microsoft.ML.PromptLearning;

/// <summary>Options shared by <see cref="PromptErnieTrainer"/> and <see cref="ErnieTextClassificationTrainer"/>.</summary>
public abstract class ErnieTrainerOptionsBase
{
    /// <summary>Label column: a key type (use <c>MapValueToKey</c>); its key count is the number of classes, so classes absent from a few-shot training set still get scores.</summary>
    public string LabelColumnName = DefaultColumnNames.Label;

    /// <summary>Text column (string), the template's <c>text_a</c>.</summary>
    public string TextColumnName = "Text";

    /// <summary>Optional second text column (string), the template's <c>text_b</c>; null when the task has one text.</summary>
    public string TextPairColumnName;

    /// <summary>Output column with the class probabilities (softmax, one per class in key order).</summary>
    public string ScoreColumnName = DefaultColumnNames.Score;

    /// <summary>Output key column with the most probable class.</summary>
    public string PredictedLabelColumnName = DefaultColumnNames.PredictedLabel;

    /// <summary>
    /// Folder of a pretrained ERNIE/BERT masked LM in Hugging Face layout (config.json, vocab.txt, model.safetensors or
    /// pytorch_model.bin), e.g. ERNIE 3.0 base. Null = the bundled model of the referenced models package
    /// (Microsoft.ML.PromptLearning.Models.ChineseMini).
    /// </summary>
    public string ModelPath;

    /// <summary>Longest input in tokens, prompt and special tokens included; longer texts are truncated (PaddleNLP <c>max_seq_length</c>).</summary>
    public int MaxSequenceLength = 128;

    /// <summary>Examples per training step (PaddleNLP <c>per_device_train_batch_size</c>).</summary>
    public int BatchSize = 8;

    /// <summary>Examples per forward pass when scoring and validating (<c>per_device_eval_batch_size</c>).</summary>
    public int EvalBatchSize = 32;

    /// <summary>Learning rate of the pretrained model's weights.</summary>
    public double LearningRate = 3e-5;

    /// <summary>AdamW weight decay (never applied to biases and LayerNorms).</summary>
    public double WeightDecay;

    /// <summary>Linear warmup steps before the linear decay to zero.</summary>
    public int WarmupSteps;

    /// <summary>Training steps; when not positive, <see cref="NumberOfEpochs"/> passes over the data are run (both 0 = no training: zero-shot scoring).</summary>
    public int MaxSteps = -1;

    /// <summary>Passes over the training data when <see cref="MaxSteps"/> is not set.</summary>
    public int NumberOfEpochs = 10;

    /// <summary>Global gradient-norm clip (0 = off).</summary>
    public double MaxGradNorm = 1.0;

    /// <summary>Optional validation data (same schema as the training data): evaluated every <see cref="EvalSteps"/> steps for early stopping; the best weights are kept.</summary>
    public IDataView ValidationSet;

    /// <summary>Validate every N steps; 0 = once per epoch.</summary>
    public int EvalSteps;

    /// <summary>Stop after this many validations without improvement (0 = never stop early).</summary>
    public int EarlyStoppingPatience = 4;

    /// <summary>Log the training loss every N steps.</summary>
    public int LoggingSteps = 10;

    /// <summary>Seed of initialisation, data order and dropout; the same seed gives the same model on the CPU.</summary>
    public int Seed = 42;

    /// <summary>Freeze the pretrained model: only the prompt / verbalizer / classifier head trains.</summary>
    public bool FreezePlm;

    /// <summary>Freeze the pretrained model and switch its dropout off (implies <see cref="FreezePlm"/>).</summary>
    public bool FreezeDropout;

    /// <summary>R-Drop: a second forward pass and a symmetric KL term between the two predictions.</summary>
    public bool UseRDrop;

    /// <summary>Weight of the R-Drop term.</summary>
    public double AlphaRDrop = 5.0;

    /// <summary>RGL: a relation-graph term that pulls examples of the same label together.</summary>
    public bool UseRgl;

    /// <summary>Weight of the RGL term.</summary>
    public double AlphaRgl = 0.5;

    /// <summary>TorchSharp intra-op threads (0 = leave the default).</summary>
    public int NumberOfThreads;

    /// <summary>
    /// Folder for <c>checkpoint-N</c> folders (weights, best weights, optimizer moments, trainer state, template and verbalizer
    /// configuration), written atomically every <see cref="SaveSteps"/> steps and at the end. Null = no checkpoints.
    /// </summary>
    public string CheckpointDirectory;

    /// <summary>Write a checkpoint every N steps (needs <see cref="CheckpointDirectory"/>; 0 = only at the end).</summary>
    public int SaveSteps;

    /// <summary>Keep at most this many checkpoints (the best one is also kept while it is the best); 0 = keep all.</summary>
    public int SaveTotalLimit = 2;

    /// <summary>
    /// Continue an interrupted run: a <c>checkpoint-N</c> folder, or <c>"latest"</c> for the newest complete checkpoint in
    /// <see cref="CheckpointDirectory"/> (a fresh start when there is none). The run continues exactly as if it had not stopped
    /// (same data order, learning rate and dropout); data and options must be those of the original run.
    /// </summary>
    public string ResumeFromCheckpoint;

    /// <summary>Stops training before the next step with <see cref="OperationCanceledException"/> (checkpoints already written stay usable).</summary>
    public CancellationToken CancellationToken;

    /// <summary>Called after every step, log interval, validation and checkpoint (for progress bars and live plots).</summary>
    public Action<Training.TrainingProgress> Progress;
}
