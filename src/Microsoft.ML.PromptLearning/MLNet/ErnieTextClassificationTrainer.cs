using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning;
using Microsoft.ML.PromptLearning.FineTuning;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.MLNet;
using Microsoft.ML.PromptLearning.Onnx;
using Microsoft.ML.PromptLearning.Tokenization;
using Microsoft.ML.PromptLearning.Training;
using Microsoft.ML.Runtime;

[assembly: LoadableClass(typeof(ErnieTextClassificationTransformer), null, typeof(SignatureLoadModel), "ERNIE Text Classification", ErnieTextClassificationTransformer.LoaderSignature)]
[assembly: LoadableClass(typeof(IRowMapper), typeof(ErnieTextClassificationTransformer), null, typeof(SignatureLoadRowMapper), "ERNIE Text Classification", ErnieTextClassificationTransformer.LoaderSignature)]

namespace Microsoft.ML.PromptLearning;

/// <summary>
/// Fine-tunes a pretrained ERNIE/BERT with a linear classifier on the pooled [CLS] output: the classic baseline that
/// prompt learning (<see cref="PromptErnieTrainer"/>) is compared with.
/// </summary>
/// <remarks>
/// | Input and output columns | |
/// |---|---|
/// | Label | key type (classes = key count) |
/// | Text, optional text pair | string |
/// | PredictedLabel (output) | key type with the label names as key values |
/// | Score (output) | float vector of class probabilities |
///
/// Trainer characteristics: multiclass classification; no normalization or caching needed; NuGet
/// Microsoft.ML.PromptLearning plus a libtorch backend (libtorch-cpu-linux-x64 or TorchSharp-cuda-*).
/// </remarks>
public sealed class ErnieTextClassificationTrainer : IEstimator<ErnieTextClassificationTransformer>
{
    /// <summary>Options of the fine-tune baseline.</summary>
    public sealed class Options : ErnieTrainerOptionsBase
    {
        /// <summary>Learning rate of the new classifier layer; null = <see cref="ErnieTrainerOptionsBase.LearningRate"/>.</summary>
        public double? ClassifierLearningRate;

        /// <summary>
        /// How a text becomes one vector for the classifier. The default, <see cref="FineTunePooling.Auto"/>, uses the
        /// pretrained pooler on [CLS] when the checkpoint has one and the mean of the token states when it does not.
        /// </summary>
        public FineTunePooling Pooling = FineTunePooling.Auto;
    }

    private readonly IHost host;
    private readonly Options options;

    internal ErnieTextClassificationTrainer(IHostEnvironment env, Options options)
    {
        host = env.Register(nameof(ErnieTextClassificationTrainer));
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        TrainerCore.CheckOptions(host, options);
        host.CheckUserArg(Enum.IsDefined(options.Pooling), nameof(Options.Pooling), $"Unknown pooling {(int)options.Pooling}; use Auto, Pooler, Cls or Mean.");
    }

    /// <summary>Rows trained on beside the input's labelled rows (set by the self-training recipes).</summary>
    internal AdditionalTrainingRows AdditionalRows { get; init; }

    /// <summary>Set by <see cref="MultiLabelClassificationCatalog"/>: train a multi-label model (null = multi-class).</summary>
    internal MultiLabelOptions MultiLabel { get; init; }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => TrainerCore.OutputSchema(host, inputSchema, options, MultiLabel);

    /// <summary>Trains the classifier.</summary>
    public ErnieTextClassificationTransformer Fit(IDataView input)
    {
        var fitted = TrainerCore.Fit(host, options, input, AdditionalRows, "ERNIE fine-tune", checkLabels: null, (plm, labelNames) =>
        {
            var pooling = FineTuneClassifier.Resolve(options.Pooling, plm.HasPooler);
            return new TrainingSetup(new FineTuneClassifier(plm.Model, labelNames.Length, pooling), new TextPairInputEncoder(plm.Tokenizer, options.MaxSequenceLength),
                options.ClassifierLearningRate ?? options.LearningRate, CheckpointFiles: null,
                options.Pooling != FineTunePooling.Auto ? $"pooling: {pooling}"
                    : $"pooling: {pooling} (Auto: the checkpoint {(plm.HasPooler ? "has pretrained pooler weights" : "has no pooler weights, so its pooler would be random")})");
        }, MultiLabel);
        var model = new ErnieTextClassificationTransformer(host, (FineTuneClassifier)fitted.Net, fitted.Tokenizer, fitted.Settings, fitted.Report);
        model.MeasurePrecisionAgreement(fitted.Validation);
        return model;
    }
}

/// <summary>A fitted fine-tune classifier: scores texts in batches, saves into and loads from an ML.NET model zip.</summary>
public sealed class ErnieTextClassificationTransformer : ErnieClassifierTransformerBase
{
    internal const string LoaderSignature = "ErnieTextClassifier";

    internal static VersionInfo GetVersionInfo() => new(
        modelSignature: "ERNIETXT", verWrittenCur: 0x00010002, verReadableCur: 0x00010002, verWeCanReadBack: 0x00010001,   // 0x00010002: pooling
        loaderSignature: LoaderSignature, loaderAssemblyName: typeof(ErnieTextClassificationTransformer).Assembly.FullName);

    internal ErnieTextClassificationTransformer(IHostEnvironment env, FineTuneClassifier net, ErnieTokenizer tokenizer, ScoringSettings settings, TrainingReport report)
        : base(env.Register(nameof(ErnieTextClassificationTransformer)), net, tokenizer, new TextPairInputEncoder(tokenizer, settings.MaxSequenceLength), settings, report) { }

    /// <summary>How a text becomes the classifier's input vector (never <see cref="FineTunePooling.Auto"/>: resolved when training).</summary>
    public FineTunePooling Pooling => ((FineTuneClassifier)Net).Pooling;

    private protected override OnnxClassifierHead CreateOnnxHead() => new FineTuneOnnxHead((FineTuneClassifier)Net);

    /// <summary>Writes the model into an ML.NET model zip (called by <c>mlContext.Model.Save</c>).</summary>
    public override void SaveModel(ModelSaveContext ctx)
    {
        Host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        SaveCommon(ctx);
        ctx.Writer.Write((int)Pooling);
    }

    private static ErnieTextClassificationTransformer Create(IHostEnvironment env, ModelLoadContext ctx) =>
        ModelZipFormat.Load(ctx, GetVersionInfo(), "fine-tune classifier", () => Load(env, ctx));

    private static ErnieTextClassificationTransformer Load(IHostEnvironment env, ModelLoadContext ctx)
    {
        var common = LoadCommon(env, ctx);
        var pooling = ctx.Header.ModelVerWritten >= 0x00010002 ? (FineTunePooling)ctx.Reader.ReadInt32() : FineTunePooling.Pooler;
        if (pooling is FineTunePooling.Auto || !Enum.IsDefined(pooling)) throw env.ExceptDecode($"The model zip names an unknown pooling ({(int)pooling}); it is damaged or from a newer version of this package.");
        var net = new FineTuneClassifier(new Ernie.ErnieForMaskedLM(common.Config), common.Settings.LabelNames.Length, pooling);
        LoadWeights(env, ctx, net);
        return new ErnieTextClassificationTransformer(env, net, common.Tokenizer, common.Settings, null);
    }

    private static IRowMapper Create(IHostEnvironment env, ModelLoadContext ctx, DataViewSchema inputSchema) =>
        Create(env, ctx).MakeRowMapper(inputSchema);
}
