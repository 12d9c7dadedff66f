using System.Text;
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
        /// <see cref="PromptVerbalizerKind.MaskedLM"/>: one mask per token of the label words).
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
        if (MultiLabel is not null && options.Verbalizer != PromptVerbalizerKind.Soft)
            throw host.ExceptUserArg(nameof(Options.Verbalizer), $"Multi-label prompt learning scores each label on its own with the soft verbalizer (PaddleNLP's choice); the {options.Verbalizer} verbalizer gives log-probabilities that compete between labels. Use PromptVerbalizerKind.Soft.");
        var fitted = TrainerCore.Fit(host, options, input, AdditionalRows, "PromptErnie", labelNames => words = PromptSetup.OrderedLabelWords(host, options, labelNames), (plm, _) =>
        {
            var template = PromptSetup.BuildTemplate(host, options, words, plm.Tokenizer);
            var net = PromptSetup.CreateNet(plm.Model, plm.Tokenizer, template, words, options.Verbalizer);
            var checkpointFiles = new Dictionary<string, string>(net.Verbalizer.ConfigFiles()) { [Template.ConfigFileName] = template.ToConfigText() };
            return new TrainingSetup(net, new PromptInputEncoder(new PromptEncoder(template, plm.Tokenizer, options.MaxSequenceLength)), options.PromptLearningRate,
                checkpointFiles, $"template: {template}");
        }, MultiLabel);
        var model = new PromptErnieTransformer(host, (PromptClassifier)fitted.Net, fitted.Tokenizer, fitted.Settings, fitted.Report);
        model.MeasurePrecisionAgreement(fitted.Validation);
        return model;
    }
}

/// <summary>
/// A fitted prompt classifier: scores texts in batches (Transform) or one by one (PredictionEngine), saves into an
/// ordinary ML.NET model zip and loads back in any application that references the package.
/// </summary>
public sealed class PromptErnieTransformer : ErnieClassifierTransformerBase
{
    internal const string LoaderSignature = "PromptErnieTransformer";

    // 0x00010001: the prompt configuration as one JSON record (template JSON, verbalizer kind number, label words).
    // 0x00010002: the template's and the verbalizer's own configuration files (template_config.json, verbalizer_config.json,
    //             verbalizer_options.json) under Prompt/, as in a checkpoint.
    private const uint FormatWithConfigFiles = 0x00010002;

    internal static VersionInfo GetVersionInfo() => new(
        modelSignature: "PRMTERNI", verWrittenCur: FormatWithConfigFiles, verReadableCur: FormatWithConfigFiles, verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature, loaderAssemblyName: typeof(PromptErnieTransformer).Assembly.FullName);

    private const string ConfigFolder = "Prompt/";

    private readonly PromptClassifier prompt;

    internal PromptErnieTransformer(IHostEnvironment env, PromptClassifier net, ErnieTokenizer tokenizer, ScoringSettings settings, TrainingReport report)
        : base(env.Register(nameof(PromptErnieTransformer)), net, tokenizer, new PromptInputEncoder(new PromptEncoder(net.Template, tokenizer, settings.MaxSequenceLength)),
            settings, report)
    {
        prompt = net;
    }

    /// <summary>The template in use (PaddleNLP syntax via <c>ToString()</c>).</summary>
    public Template Template => prompt.Template;

    /// <summary>The verbalizer kind.</summary>
    public PromptVerbalizerKind Verbalizer => prompt.Verbalizer.Kind;

    private protected override OnnxClassifierHead CreateOnnxHead() => new PromptOnnxHead((PromptClassifier)Net);

    /// <summary>Writes the model into an ML.NET model zip (called by <c>mlContext.Model.Save</c>).</summary>
    public override void SaveModel(ModelSaveContext ctx)
    {
        Host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        SaveCommon(ctx);
        var files = new Dictionary<string, string>(prompt.Verbalizer.ConfigFiles()) { [Template.ConfigFileName] = Template.ToConfigText() };
        foreach (var (name, text) in files)
            ctx.SaveBinaryStream(ConfigFolder + name, w => w.Write(Encoding.UTF8.GetBytes(text)));
    }

    private static PromptErnieTransformer Create(IHostEnvironment env, ModelLoadContext ctx) =>
        ModelZipFormat.Load(ctx, GetVersionInfo(), "prompt classifier", () => Load(env, ctx));

    private static PromptErnieTransformer Load(IHostEnvironment env, ModelLoadContext ctx)
    {
        var common = LoadCommon(env, ctx);
        var plm = new ErnieForMaskedLM(common.Config);
        var (template, verbalizer) = ctx.Header.ModelVerWritten >= FormatWithConfigFiles
            ? ReadConfigFiles(env, ctx, plm, common.Tokenizer)
            : ReadEarlierConfig(env, ctx, plm, common);
        if (!verbalizer.Labels.SequenceEqual(common.Settings.LabelNames))
            throw env.ExceptDecode($"The verbalizer's labels ({string.Join(", ", verbalizer.Labels)}) are not the model's classes ({string.Join(", ", common.Settings.LabelNames)}); the model zip is damaged.");
        var net = PromptSetup.CreateNet(plm, common.Tokenizer, template, verbalizer);
        LoadWeights(env, ctx, net);
        return new PromptErnieTransformer(env, net, common.Tokenizer, common.Settings, null);
    }

    private static (Template, Verbalizer) ReadConfigFiles(IHostEnvironment env, ModelLoadContext ctx, ErnieForMaskedLM plm, ErnieTokenizer tokenizer)
    {
        string Read(string name)
        {
            string text = null;
            return ctx.TryLoadBinaryStream(ConfigFolder + name, r => text = Encoding.UTF8.GetString(r.ReadBytes((int)r.BaseStream.Length))) ? text : null;
        }
        try
        {
            var template = Template.FromConfigText(Read(Template.ConfigFileName) ?? throw env.ExceptDecode($"The model zip lacks {ConfigFolder}{Template.ConfigFileName}; it is damaged."));
            return (template, Prompting.Verbalizer.FromConfigFiles(Read, plm, tokenizer, source: "the model zip"));
        }
        catch (Exception e) when (e is InvalidDataException or TemplateParseException)
        {
            throw env.ExceptDecode(e, $"The prompt configuration in the model zip is damaged: {e.Message}");
        }
    }

    private static (Template, Verbalizer) ReadEarlierConfig(IHostEnvironment env, ModelLoadContext ctx, ErnieForMaskedLM plm, CommonState common)
    {
        var earlier = JsonSerializer.Deserialize<PromptSetup.EarlierPromptConfig>(ctx.LoadString())
            ?? throw env.ExceptDecode("The prompt configuration in the model zip is empty.");
        var words = LabelWords.FromDictionary(common.Settings.LabelNames.Select((l, i) => (l, earlier.LabelWords[i])).ToDictionary(x => x.l, x => x.Item2));
        return (Template.FromJson(earlier.TemplateJson), Prompting.Verbalizer.Create(earlier.Verbalizer, words, plm, common.Tokenizer));
    }

    private static IRowMapper Create(IHostEnvironment env, ModelLoadContext ctx, DataViewSchema inputSchema) =>
        Create(env, ctx).MakeRowMapper(inputSchema);
}
