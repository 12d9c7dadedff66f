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
    /// <summary>File name of the configuration written by <see cref="Save"/>.</summary>
    public const string ConfigFileName = "verbalizer_config.json";
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

    /// <summary>Short name stored in the configuration: <c>manual</c>, <c>soft</c> or <c>maskedlm</c>.</summary>
    public abstract string Kind { get; }

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
        $"The {Kind} verbalizer needs {required} [MASK] token(s) but the template has {actual}.";

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

    /// <summary>
    /// Parameters of the PLM's own MLM head that the verbalizer trains through (PaddleNLP's <c>non_head_parameters</c>):
    /// they are already among the PLM's parameters and take the PLM learning rate.
    /// </summary>
    public virtual IEnumerable<Parameter> NonHeadParameters() => [];

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

    /// <summary>The configuration (kind, label words, options) as JSON.</summary>
    public JsonObject ToConfigJson()
    {
        var o = new JsonObject { ["type"] = Kind, ["label_words"] = LabelWords.ToJson() };
        WriteOptions(o);
        return o;
    }

    /// <summary>Adds the verbalizer's options to its configuration.</summary>
    protected private virtual void WriteOptions(JsonObject config) { }

    /// <summary>Writes <see cref="ConfigFileName"/> and, when the verbalizer has parameters, <see cref="StateFileName"/> into <paramref name="folder"/>.</summary>
    public void Save(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigFileName), ToConfigJson().ToJsonString(JsonOptions));
        var statePath = Path.Combine(folder, StateFileName);
        if (parameters().Any()) AtomicFile.Write(statePath, SaveState);
        else if (File.Exists(statePath)) File.Delete(statePath);
    }

    /// <summary>Writes the parameters (safetensors, float32) to a stream.</summary>
    public void SaveState(Stream stream) => ModuleState.Save(this, stream);

    /// <summary>Reads parameters written by <see cref="SaveState"/>; every parameter must be present with its shape.</summary>
    /// <exception cref="InvalidDataException">A parameter is missing or has the wrong shape.</exception>
    public void LoadState(Stream stream, string name = "verbalizer state") => ModuleState.Load(this, stream, name);

    /// <summary>Rebuilds a verbalizer from <see cref="ToConfigJson"/> (with fresh parameters: load them with <see cref="LoadState"/>).</summary>
    public static Verbalizer FromConfigJson(JsonObject config, ErnieForMaskedLM model, ErnieTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(config);
        var kind = config["type"]?.GetValue<string>();
        if (config["label_words"] is not JsonObject words) throw new InvalidDataException("Verbalizer configuration has no 'label_words' object.");
        var labelWords = LabelWords.FromJson(words);
        return kind switch
        {
            "manual" => ManualVerbalizer.FromConfig(config, labelWords, model, tokenizer),
            "soft" => new SoftVerbalizer(labelWords, model, tokenizer),
            "maskedlm" => MaskedLMVerbalizer.FromConfig(config, labelWords, model, tokenizer),
            _ => throw new InvalidDataException($"Unknown verbalizer type '{kind}'; expected manual, soft or maskedlm."),
        };
    }

    /// <summary>Loads a verbalizer saved with <see cref="Save"/>.</summary>
    public static Verbalizer Load(string folder, ErnieForMaskedLM model, ErnieTokenizer tokenizer)
    {
        var configPath = Path.Combine(folder, ConfigFileName);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"'{folder}' has no {ConfigFileName}.", configPath);
        JsonObject config;
        try { config = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject ?? throw new InvalidDataException($"{configPath} must hold a JSON object."); }
        catch (JsonException e) { throw new InvalidDataException($"{configPath} is not valid JSON: {e.Message}", e); }
        var verbalizer = FromConfigJson(config, model, tokenizer);
        if (verbalizer.parameters().Any())
        {
            var statePath = Path.Combine(folder, StateFileName);
            if (!File.Exists(statePath)) throw new FileNotFoundException($"'{folder}' has no {StateFileName} for the {verbalizer.Kind} verbalizer.", statePath);
            using var fs = File.OpenRead(statePath);
            verbalizer.LoadState(fs, statePath);
        }
        return verbalizer;
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
