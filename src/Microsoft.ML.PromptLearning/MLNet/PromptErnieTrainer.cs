using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.MLNet;
using Microsoft.ML.PromptLearning.Onnx;
using Microsoft.ML.PromptLearning.Prompting;
using Microsoft.ML.PromptLearning.Tokenization;
using Microsoft.ML.PromptLearning.Training;
using Microsoft.ML.Runtime;
using SoftEncoderKind = Microsoft.ML.PromptLearning.Prompting.SoftEncoderKind;

[assembly: LoadableClass(typeof(PromptErnieTransformer), null, typeof(SignatureLoadModel), "Prompt ERNIE", PromptErnieTransformer.LoaderSignature)]
[assembly: LoadableClass(typeof(IRowMapper), typeof(PromptErnieTransformer), null, typeof(SignatureLoadRowMapper), "Prompt ERNIE", PromptErnieTransformer.LoaderSignature)]

namespace Microsoft.ML.PromptLearning;

/// <summary>How label scores are read from the masked language model.</summary>
public enum PromptVerbalizerKind
{
    /// <summary>
    /// WARP-style soft verbalizer (PaddleNLP's default for its few-shot apps): a hidden→label layer initialised from the label
    /// words' rows of the MLM decoder, trained at the prompt learning rate.
    /// </summary>
    Soft,
    /// <summary>Manual verbalizer: the MLM's own logits for the label words (tokens averaged, several words per label averaged).</summary>
    Manual,
    /// <summary>One [MASK] per character of equal-length label words; a label's score is the product of its characters' probabilities.</summary>
    PerCharacterMask,
}

/// <summary>
/// Prompt-based few-shot text classification (PaddleNLP's prompt learning with ERNIE): each text is wrapped in a template
/// with a [MASK] slot, e.g. <c>{'text':'text_a'}这条新闻标题的主题是{'mask'}{'mask'}</c>, and a verbalizer turns the masked
/// language model's view of that slot into one score per label. Starting from pretrained knowledge, it needs far fewer
/// labelled examples than fine-tuning a classifier on [CLS].
/// </summary>
/// <remarks>
/// | Input and output columns | |
/// |---|---|
/// | Label | key type (classes = key count, so classes missing from a few-shot set still get scores) |
/// | Text, optional text pair | string (<c>text_a</c>, <c>text_b</c> of the template) |
/// | PredictedLabel (output) | key type with the label names as key values |
/// | Score (output) | float vector of class probabilities |
///
/// Trainer characteristics: multiclass classification; no normalization or caching needed; exportable to ONNX;
/// NuGet Microsoft.ML.PromptLearning plus a libtorch backend (libtorch-cpu-linux-x64 or TorchSharp-cuda-*).
/// </remarks>
public sealed class PromptErnieTrainer : IEstimator<PromptErnieTransformer>
{
    /// <summary>Options of prompt learning (PaddleNLP's <c>PromptTuningArguments</c> in ML.NET form).</summary>
    public class Options : ErnieTrainerOptionsBase
    {
        /// <summary>
        /// The prompt: either PaddleNLP template syntax (<c>{'text':'text_a'}这条新闻标题的主题是{'mask'}{'mask'}</c>, soft tokens,
        /// <c>{'sep'}</c>, …) or a bare prompt string such as <c>这条新闻标题的主题是</c>, which becomes
        /// <c>{'text':'text_a'}这条新闻标题的主题是{'mask'}</c> like PaddleNLP's AutoTemplate (with
        /// <see cref="PromptVerbalizerKind.PerCharacterMask"/>: one mask per character of the label words).
        /// Null = <c>{'soft'}{'text':'text_a'}{'mask'}</c>.
        /// </summary>
        public string Prompt;

        /// <summary>Label words per label name (a label may have several). Either this or <see cref="LabelFile"/> is required.</summary>
        public IDictionary<string, string[]> LabelWords;

        /// <summary>A PaddleNLP <c>label.txt</c> (<c>label==word</c> lines; repeated labels give several words).</summary>
        public string LabelFile;

        /// <summary>How label scores are computed from the [MASK] slot(s).</summary>
        public PromptVerbalizerKind Verbalizer = PromptVerbalizerKind.Soft;

        /// <summary>Learning rate of the soft prompt and verbalizer parameters (PaddleNLP <c>ppt_learning_rate</c>).</summary>
        public double PromptLearningRate = 3e-4;

        /// <summary>
        /// Encoder for the template's soft tokens that do not name one (PaddleNLP <c>soft_encoder</c>: an LSTM or MLP over the
        /// soft embeddings, baked into constants at export). Null = as the template says (default: none).
        /// </summary>
        public SoftEncoderKind? SoftEncoder;

        /// <summary>Hidden size of <see cref="SoftEncoder"/> (PaddleNLP <c>encoder_hidden_size</c>); null = the model's hidden size.</summary>
        public int? EncoderHiddenSize;
    }

    private readonly IHost host;
    private readonly Options options;

    internal PromptErnieTrainer(IHostEnvironment env, Options options)
    {
        host = env.Register(nameof(PromptErnieTrainer));
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        TrainerCore.CheckOptions(host, options);
        host.CheckUserArg(options.LabelWords is not null || options.LabelFile is not null, nameof(options.LabelWords),
            "give label words (a dictionary label → words) or a PaddleNLP label.txt (LabelFile)");
    }

    /// <summary>Rows trained on beside the input's labelled rows (set by the self-training recipes).</summary>
    internal AdditionalTrainingRows AdditionalRows { get; init; }

    /// <summary>Set by <see cref="MultiLabelClassificationCatalog"/>: train a multi-label model (null = multi-class).</summary>
    internal MultiLabelOptions MultiLabel { get; init; }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => TrainerCore.OutputSchema(host, inputSchema, options, MultiLabel);

    /// <summary>Trains the prompt model.</summary>
    public PromptErnieTransformer Fit(IDataView input)
    {
        List<PromptSetup.LabelWordEntry> words = null;
        Template template = null;
        if (MultiLabel is not null && options.Verbalizer != PromptVerbalizerKind.Soft)
            throw host.ExceptUserArg(nameof(Options.Verbalizer), $"Multi-label prompt learning scores each label on its own with the soft verbalizer (PaddleNLP's choice); the {options.Verbalizer} verbalizer gives log-probabilities that compete between labels. Use PromptVerbalizerKind.Soft.");
        var fitted = TrainerCore.Fit(host, options, input, AdditionalRows, "PromptErnie", labelNames => words = PromptSetup.OrderedLabelWords(host, options, labelNames), (plm, _) =>
        {
            template = PromptSetup.BuildTemplate(host, options, words, plm.Tokenizer);
            var checkpointFiles = new Dictionary<string, string>
            {
                ["template_config.json"] = template.ToJson(),
                ["verbalizer_config.json"] = JsonSerializer.Serialize(new { kind = options.Verbalizer.ToString(), label_words = words.ToDictionary(w => w.Label, w => w.Words) },
                    new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }),
            };
            return new TrainingSetup(PromptSetup.CreateNet(plm.Model, plm.Tokenizer, template, words, options.Verbalizer),
                new PromptInputEncoder(new PromptEncoder(template, plm.Tokenizer, options.MaxSequenceLength)), options.PromptLearningRate, checkpointFiles, $"template: {template}");
        }, MultiLabel);
        var prompt = new PromptSetup.PromptConfig(template.ToJson(), options.Verbalizer, words.Select(w => w.Words).ToArray());
        return new PromptErnieTransformer(host, fitted.Net, fitted.Tokenizer, fitted.Settings, fitted.Report, prompt);
    }
}

/// <summary>
/// A fitted prompt classifier: scores texts in batches (Transform) or one by one (PredictionEngine), saves into an
/// ordinary ML.NET model zip and loads back in any application that references the package.
/// </summary>
public sealed class PromptErnieTransformer : ErnieClassifierTransformerBase
{
    internal const string LoaderSignature = "PromptErnieTransformer";

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "PRMTERNI", verWrittenCur: 0x00010001, verReadableCur: 0x00010001, verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature, loaderAssemblyName: typeof(PromptErnieTransformer).Assembly.FullName);

    internal PromptErnieTransformer(IHostEnvironment env, ClassifierNet net, ErnieTokenizer tokenizer, ScoringSettings settings, TrainingReport report, PromptSetup.PromptConfig prompt)
        : base(env.Register(nameof(PromptErnieTransformer)), net, tokenizer,
            new PromptInputEncoder(new PromptEncoder(Template.FromJson(prompt.TemplateJson), tokenizer, settings.MaxSequenceLength)), settings, report)
    {
        Prompt = prompt;
    }

    internal PromptSetup.PromptConfig Prompt { get; }

    /// <summary>The template in use (PaddleNLP syntax via <c>ToString()</c>).</summary>
    public Template Template => ((PromptInputEncoder)Encoder).Template;

    /// <summary>The verbalizer kind.</summary>
    public PromptVerbalizerKind Verbalizer => Prompt.Verbalizer;

    private protected override OnnxClassifierHead CreateOnnxHead() => new PromptOnnxHead((PromptClassifier)Net);

    /// <summary>Writes the model into an ML.NET model zip (called by <c>mlContext.Model.Save</c>).</summary>
    public override void SaveModel(ModelSaveContext ctx)
    {
        Host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        SaveCommon(ctx);
        ctx.SaveString(JsonSerializer.Serialize(Prompt));
    }

    private static PromptErnieTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ctx.CheckAtModel(GetVersionInfo());
        var common = LoadCommon(env, ctx);
        var prompt = JsonSerializer.Deserialize<PromptSetup.PromptConfig>(ctx.LoadString())
            ?? throw env.ExceptDecode("The prompt configuration in the model zip is empty.");
        var template = Template.FromJson(prompt.TemplateJson);
        var words = common.Settings.LabelNames.Select((l, i) => new PromptSetup.LabelWordEntry(l, prompt.LabelWords[i])).ToList();
        var net = PromptSetup.CreateNet(new ErnieForMaskedLM(common.Config), common.Tokenizer, template, words, prompt.Verbalizer);
        LoadWeights(env, ctx, net);
        return new PromptErnieTransformer(env, net, common.Tokenizer, common.Settings, null, prompt);
    }

    private static IRowMapper Create(IHostEnvironment env, ModelLoadContext ctx, DataViewSchema inputSchema) =>
        Create(env, ctx).MakeRowMapper(inputSchema);
}
