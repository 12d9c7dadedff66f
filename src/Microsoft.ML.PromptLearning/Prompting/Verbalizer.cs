using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>
/// Maps the model's hidden states at the template's <c>[MASK]</c> positions to one score per label (PaddleNLP's
/// <c>Verbalizer</c>). Scores are logits: their softmax over labels is the class probability, and <see cref="Loss"/> is the
/// training objective. A verbalizer reads the masked-LM head of the <see cref="ErnieForMaskedLM"/> it was built with but
/// does not own it: the PLM's parameters stay the PLM's.
/// </summary>
public abstract class Verbalizer : nn.Module
{
    /// <summary>
    /// File name of the label words written by <see cref="Save"/>: PaddleNLP's <c>verbalizer_config.json</c>, the object
    /// <c>{"label": ["word", …], …}</c> at the top level (<see cref="LabelWords.ToJson"/>), so PaddleNLP reads ours and we read its.
    /// </summary>
    public const string ConfigFileName = "verbalizer_config.json";
    /// <summary>
    /// File name of the kind and its options written by <see cref="Save"/> (<c>{"kind": "maskedlm", "mask_aggregation": "product"}</c>).
    /// They live beside <see cref="ConfigFileName"/> because PaddleNLP reads every top-level key of that file as a label.
    /// </summary>
    public const string OptionsFileName = "verbalizer_options.json";
    /// <summary>File name of the parameters written by <see cref="Save"/> (only for verbalizers that have parameters).</summary>
    public const string StateFileName = "verbalizer_state.safetensors";

    private readonly Borrowed<ErnieForMaskedLM> model;

    /// <summary>Tokenizes the label words and keeps a reference to the model.</summary>
    protected private Verbalizer(string name, LabelWords labelWords, ErnieForMaskedLM model, ErnieTokenizer tokenizer) : base(name)
    {
        LabelWords = labelWords ?? throw new ArgumentNullException(nameof(labelWords));
        ArgumentNullException.ThrowIfNull(model);
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new ArgumentException($"The tokenizer has {tokenizer.VocabSize} tokens but the model only {model.Config.VocabSize}; they belong to different models.");
        this.model = new Borrowed<ErnieForMaskedLM>(model);
    }

    /// <summary>The labels in class-id order.</summary>
    public IReadOnlyList<string> Labels => LabelWords.Labels;

    /// <summary>The label words.</summary>
    public LabelWords LabelWords { get; }

    /// <summary>The tokenizer of the label words.</summary>
    public ErnieTokenizer Tokenizer { get; }

    /// <summary>The masked language model whose head the verbalizer reads.</summary>
    public ErnieForMaskedLM Model => model.Value;

    /// <summary>Number of classes.</summary>
    public int ClassCount => LabelWords.Count;

    /// <summary>Which verbalizer this is (written to <see cref="OptionsFileName"/> as <see cref="KindName"/>).</summary>
    public abstract PromptVerbalizerKind Kind { get; }

    /// <summary>The number of <c>[MASK]</c> tokens the template must have, or null when any number (≥ 1) works.</summary>
    public virtual int? RequiredMaskCount => null;

    /// <summary>Throws when <paramref name="template"/> has a mask count this verbalizer cannot use.</summary>
    public void Validate(Template template)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (RequiredMaskCount is int m && template.MaskCount != m)
            throw new ArgumentException(MaskCountMessage(template.MaskCount, m));
    }

    /// <summary>Explanation used when the mask count does not fit.</summary>
    protected private virtual string MaskCountMessage(int actual, int required) =>
        $"The {KindName(Kind)} verbalizer needs {required} [MASK] token(s) but the template has {actual}.";

    /// <summary>Label scores <c>[B, C]</c> from the hidden states at the template's masks <c>[B, M, H]</c>; softmax gives class probabilities.</summary>
    public abstract Tensor LabelLogits(Tensor maskHidden);

    /// <summary>Mean training loss over the batch; <paramref name="labels"/> are int64 class ids <c>[B]</c>.</summary>
    public virtual Tensor Loss(Tensor maskHidden, Tensor labels)
    {
        CheckLabels(labels, maskHidden.shape[0]);
        return nn.functional.cross_entropy(LabelLogits(maskHidden), labels);
    }

    /// <summary>Parameters that are new with the verbalizer and train with the prompt learning rate (PaddleNLP's <c>head_parameters</c>).</summary>
    public virtual IEnumerable<Parameter> HeadParameters() => [];

    /// <summary>Checks <c>[B, M, H]</c> and returns (B, M).</summary>
    protected private (long Batch, long Masks) CheckMaskHidden(Tensor maskHidden)
    {
        ArgumentNullException.ThrowIfNull(maskHidden);
        if (maskHidden.dim() != 3 || maskHidden.shape[2] != Model.Config.HiddenSize || maskHidden.shape[1] < 1)
            throw new ArgumentException($"maskHidden must be [batch, masks, {Model.Config.HiddenSize}] but is [{string.Join(", ", maskHidden.shape)}].", nameof(maskHidden));
        if (RequiredMaskCount is int m && maskHidden.shape[1] != m)
            throw new ArgumentException(MaskCountMessage((int)maskHidden.shape[1], m), nameof(maskHidden));
        return (maskHidden.shape[0], maskHidden.shape[1]);
    }

    /// <summary>Checks that labels are int64 <c>[B]</c> class ids in range.</summary>
    protected private void CheckLabels(Tensor labels, long batch)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.dtype != int64 || labels.dim() != 1 || labels.shape[0] != batch)
            throw new ArgumentException($"labels must be int64 [{batch}] but are {labels.dtype} [{string.Join(", ", labels.shape)}].", nameof(labels));
        if (batch > 0)
        {
            long min = labels.min().item<long>(), max = labels.max().item<long>();
            if (min < 0 || max >= ClassCount)
                throw new ArgumentOutOfRangeException(nameof(labels), $"Label ids must lie in 0..{ClassCount - 1}; got {(min < 0 ? min : max)}.");
        }
    }

    // ---- the one mapping between kinds, names and classes ----------------------------------------------------------

    /// <summary>The name of a kind in files and on the command line: <c>soft</c>, <c>manual</c> or <c>maskedlm</c>.</summary>
    public static string KindName(PromptVerbalizerKind kind) => kind switch
    {
        PromptVerbalizerKind.Soft => "soft",
        PromptVerbalizerKind.Manual => "manual",
        PromptVerbalizerKind.MaskedLM => "maskedlm",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Unknown verbalizer kind; expected {KindNames}."),
    };

    /// <summary>
    /// Reads a kind name (<see cref="KindName"/>, any case). Earlier spellings of the masked-LM verbalizer are accepted too:
    /// <c>PerCharacterMask</c> (checkpoints) and <c>per-char</c> (command line).
    /// </summary>
    /// <exception cref="FormatException">The name is none of these; the message lists the allowed names.</exception>
    public static PromptVerbalizerKind ParseKind(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "soft" => PromptVerbalizerKind.Soft,
        "manual" => PromptVerbalizerKind.Manual,
        "maskedlm" or "percharactermask" or "per-char" => PromptVerbalizerKind.MaskedLM,
        _ => throw new FormatException($"Unknown verbalizer kind '{name}'; expected {KindNames}."),
    };

    private static string KindNames => string.Join(", ", Enum.GetValues<PromptVerbalizerKind>().Select(KindName));

    /// <summary>Creates a verbalizer of <paramref name="kind"/> with its default options.</summary>
    public static Verbalizer Create(PromptVerbalizerKind kind, LabelWords labelWords, ErnieForMaskedLM model, ErnieTokenizer tokenizer) =>
        Create(kind, new JsonObject(), labelWords, model, tokenizer);

    private static Verbalizer Create(PromptVerbalizerKind kind, JsonObject options, LabelWords labelWords, ErnieForMaskedLM model, ErnieTokenizer tokenizer) => kind switch
    {
        PromptVerbalizerKind.Soft => new SoftVerbalizer(labelWords, model, tokenizer),
        PromptVerbalizerKind.Manual => ManualVerbalizer.FromOptions(options, labelWords, model, tokenizer),
        PromptVerbalizerKind.MaskedLM => MaskedLMVerbalizer.FromOptions(options, labelWords, model, tokenizer),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Unknown verbalizer kind; expected {KindNames}."),
    };

    // ---- saved form -----------------------------------------------------------------------------------------------

    /// <summary>The kind and the options of this verbalizer (the content of <see cref="OptionsFileName"/>).</summary>
    public JsonObject ToOptionsJson()
    {
        var o = new JsonObject { ["kind"] = KindName(Kind) };
        WriteOptions(o);
        return o;
    }

    /// <summary>Adds the verbalizer's options to its configuration.</summary>
    protected private virtual void WriteOptions(JsonObject config) { }

    /// <summary>
    /// The configuration files by name: <see cref="ConfigFileName"/> (label words) and <see cref="OptionsFileName"/> (kind,
    /// options). The model zip, the checkpoints and <see cref="Save"/> all store exactly these texts.
    /// </summary>
    public IReadOnlyDictionary<string, string> ConfigFiles() => new Dictionary<string, string>
    {
        [ConfigFileName] = LabelWords.ToJson().ToJsonString(JsonOptions),
        [OptionsFileName] = ToOptionsJson().ToJsonString(JsonOptions),
    };

    /// <summary>
    /// Rebuilds a verbalizer from its configuration files (with fresh parameters: load them with <see cref="LoadState"/>).
    /// <paramref name="readFile"/> returns a file's text by name, or null when there is no such file. A PaddleNLP folder has
    /// no <see cref="OptionsFileName"/>: then <paramref name="kind"/> says which verbalizer to build. The earlier single file
    /// <c>{"kind" or "type": …, "label_words": {…}, options…}</c> is read too.
    /// </summary>
    /// <exception cref="InvalidDataException">A file is missing or malformed, or the kind is unknown or not given.</exception>
    public static Verbalizer FromConfigFiles(Func<string, string> readFile, ErnieForMaskedLM model, ErnieTokenizer tokenizer,
        PromptVerbalizerKind? kind = null, string source = "the verbalizer configuration")
    {
        ArgumentNullException.ThrowIfNull(readFile);
        var config = ParseObject(readFile(ConfigFileName) ?? throw new InvalidDataException($"{source} has no {ConfigFileName}."), $"{ConfigFileName} of {source}");
        JsonObject options;
        LabelWords labelWords;
        if (config["label_words"] is JsonObject earlierWords)   // earlier form: one object with the kind, the words and the options
        {
            options = config;
            labelWords = LabelWords.FromJson(earlierWords);
        }
        else
        {
            labelWords = LabelWords.FromJson(config);
            var optionsText = readFile(OptionsFileName);
            options = optionsText is null ? new JsonObject() : ParseObject(optionsText, $"{OptionsFileName} of {source}");
        }
        var name = (options["kind"] ?? options["type"]) is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        PromptVerbalizerKind resolved;
        if (name is null)
            resolved = kind ?? throw new InvalidDataException($"{source} does not say which verbalizer it is (no {OptionsFileName}, as in a PaddleNLP folder); " +
                $"give the kind ({KindNames}).");
        else
        {
            try { resolved = ParseKind(name); }
            catch (FormatException e) { throw new InvalidDataException($"{source}: {e.Message}", e); }
        }
        return Create(resolved, options, labelWords, model, tokenizer);
    }

    /// <summary>Writes <see cref="ConfigFiles"/> and, when the verbalizer has parameters, <see cref="StateFileName"/> into <paramref name="folder"/>.</summary>
    public void Save(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        Directory.CreateDirectory(folder);
        foreach (var (name, text) in ConfigFiles()) AtomicFile.WriteAllText(Path.Combine(folder, name), text);
        var statePath = Path.Combine(folder, StateFileName);
        if (parameters().Any()) AtomicFile.Write(statePath, SaveState);
        else if (File.Exists(statePath)) File.Delete(statePath);
    }

    /// <summary>Writes the parameters (safetensors, float32) to a stream.</summary>
    public void SaveState(Stream stream) => ModuleState.Save(this, stream);

    /// <summary>Reads parameters written by <see cref="SaveState"/>; every parameter must be present with its shape.</summary>
    /// <exception cref="InvalidDataException">A parameter is missing or has the wrong shape.</exception>
    public void LoadState(Stream stream, string name = "verbalizer state") => ModuleState.Load(this, stream, name);

    /// <summary>
    /// Loads a verbalizer saved with <see cref="Save"/>, or one PaddleNLP saved (then give <paramref name="kind"/>: its folder
    /// does not say; its parameters are in PaddlePaddle's format and are not read).
    /// </summary>
    public static Verbalizer Load(string folder, ErnieForMaskedLM model, ErnieTokenizer tokenizer, PromptVerbalizerKind? kind = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var verbalizer = FromConfigFiles(name => File.Exists(Path.Combine(folder, name)) ? File.ReadAllText(Path.Combine(folder, name)) : null,
            model, tokenizer, kind, $"'{folder}'");
        if (verbalizer.parameters().Any())
        {
            var statePath = Path.Combine(folder, StateFileName);
            if (!File.Exists(statePath)) throw new FileNotFoundException($"'{folder}' has no {StateFileName} for the {KindName(verbalizer.Kind)} verbalizer.", statePath);
            using var fs = File.OpenRead(statePath);
            verbalizer.LoadState(fs, statePath);
        }
        return verbalizer;
    }

    private static JsonObject ParseObject(string text, string source)
    {
        try { return JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException($"{source} must hold a JSON object."); }
        catch (JsonException e) { throw new InvalidDataException($"{source} is not valid JSON: {e.Message}", e); }
    }

    internal static T ParseEnum<T>(JsonObject config, string key, T fallback) where T : struct, Enum
    {
        var text = config[key]?.GetValue<string>();
        if (text is null) return fallback;
        return Enum.TryParse<T>(text, ignoreCase: true, out var value)
            ? value
            : throw new InvalidDataException($"Verbalizer option '{key}' is '{text}'; expected one of {string.Join(", ", Enum.GetNames<T>())}.");
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Holds a module without registering it as a sub-module (RegisterComponents ignores it).</summary>
    private protected sealed class Borrowed<T>(T value) where T : class
    {
        public T Value { get; } = value;
    }
}
