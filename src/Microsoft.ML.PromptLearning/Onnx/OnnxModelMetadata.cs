using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.Prompting;
using Microsoft.ML.PromptLearning.Tokenization;

namespace Microsoft.ML.PromptLearning.Onnx;

/// <summary>
/// What an exported model carries besides its graph (ONNX <c>metadata_props</c>), so that a scorer needs only the .onnx
/// file: class names, tokenizer settings and vocabulary, the input encoding (and the template of a prompt model).
/// </summary>
internal sealed class OnnxModelMetadata
{
    public const string FormatVersionKey = "prompt_learning_format";
    public const string ModelKindKey = "model_kind";
    public const string InputEncodingKey = "input_encoding";
    public const string LabelsKey = "labels";
    public const string MaxSequenceLengthKey = "max_sequence_length";
    public const string DoLowerCaseKey = "do_lower_case";
    public const string VocabKey = "vocab";
    public const string VocabSha256Key = "vocab_sha256";
    public const string PadTokenIdKey = "pad_token_id";
    public const string PrecisionKey = "precision";
    public const string ModelConfigKey = "ernie_config";
    public const string TemplateKey = "template";
    public const string TextColumnKey = "text_column";
    public const string TextPairColumnKey = "text_pair_column";
    public const string ScoreColumnKey = "score_column";
    public const string PredictedLabelColumnKey = "predicted_label_column";
    public const string TaskKey = "task";
    public const string ThresholdsKey = "thresholds";
    public const string LabelParentsKey = "label_parents";
    public const string CurrentFormatVersion = "1";

    public string ModelKind { get; init; }
    public string InputEncoding { get; init; }
    public string[] Labels { get; init; }
    public int MaxSequenceLength { get; init; }
    public bool DoLowerCase { get; init; }
    /// <summary>The text of vocab.txt, or null when only its hash was stored.</summary>
    public string Vocab { get; init; }
    public string VocabSha256 { get; init; }
    public int PadTokenId { get; init; }
    /// <summary>The export precision (written as <c>float32</c>, <c>int8</c> or <c>float16</c>), or null when the model does not say.</summary>
    public OnnxPrecision? Precision { get; init; }
    /// <summary>The template of a prompt model (<see cref="Prompting.Template.ToConfigText"/>; earlier exports hold its first line only), else null.</summary>
    public string Template { get; init; }
    public string TextColumn { get; init; }
    public string TextPairColumn { get; init; }
    public string ScoreColumn { get; init; }
    public string PredictedLabelColumn { get; init; }
    /// <summary>Multi-label models: one threshold per label (a label is predicted above it); null for multi-class models.</summary>
    public float[] Thresholds { get; init; }
    /// <summary>Multi-label models over an <c>A##B</c> label tree: the class index of each label's parent (-1 for a top-level label); null otherwise.</summary>
    public int[] LabelParents { get; init; }
    /// <summary>Every entry, including ones this class does not interpret.</summary>
    public IReadOnlyDictionary<string, string> All { get; init; }

    /// <summary>The name an export writes for <paramref name="precision"/>: <c>float32</c>, <c>int8</c> or <c>float16</c>.</summary>
    public static string PrecisionName(OnnxPrecision precision) => precision.ToString().ToLowerInvariant();

    private static OnnxPrecision? ParsePrecision(string text, string source)
    {
        if (text is null) return null;
        foreach (var p in Enum.GetValues<OnnxPrecision>())
            if (string.Equals(text, PrecisionName(p), StringComparison.OrdinalIgnoreCase)) return p;
        throw new InvalidDataException($"{source}: the '{PrecisionKey}' metadata is '{text}'; expected one of {string.Join(", ", Enum.GetValues<OnnxPrecision>().Select(PrecisionName))}.");
    }

    /// <summary>
    /// Writes a multi-label model's <c>task</c> (<c>multi-label</c> or <c>hierarchical</c>), <c>thresholds</c> (JSON array, one per
    /// label) and, for a label tree, <c>label_parents</c> (JSON array: each label's parent index, -1 at the top).
    /// </summary>
    public static void AddMultiLabel(OnnxGraphBuilder builder, ScoringSettings settings)
    {
        builder.Metadata(TaskKey, settings.Hierarchical ? "hierarchical" : "multi-label");
        builder.Metadata(ThresholdsKey, JsonSerializer.Serialize(settings.Thresholds));
        if (settings.Hierarchical)
        {
            var tree = MultiLabel.LabelHierarchy.Create(settings.LabelNames);
            builder.Metadata(LabelParentsKey, JsonSerializer.Serialize(Enumerable.Range(0, settings.LabelNames.Length).Select(tree.ParentOf).ToArray()));
        }
    }

    /// <summary>SHA-256 of the UTF-8 vocabulary text, lowercase hex.</summary>
    public static string Sha256(string vocabText) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(vocabText)));

    /// <summary>The encoder named by <see cref="InputEncoding"/>: text becomes this graph's inputs exactly as the fitted transformer encoded it.</summary>
    public InputEncoder CreateInputEncoder(ErnieTokenizer tokenizer) => InputEncoding switch
    {
        TextPairInputEncoder.EncodingName => new TextPairInputEncoder(tokenizer, MaxSequenceLength),
        PromptInputEncoder.EncodingName => new PromptInputEncoder(new PromptEncoder(
            Prompting.Template.FromConfigText(Template ?? throw new InvalidDataException("The prompt model has no 'template' metadata.")), tokenizer, MaxSequenceLength)),
        _ => throw new InvalidDataException($"The model's input encoding '{InputEncoding}' is not one this version of Microsoft.ML.PromptLearning knows; " +
                                            "update the package (or the file is damaged: export the model again)."),
    };

    private static T[] ReadArray<T>(IReadOnlyDictionary<string, string> map, string key, int length, string source)
    {
        if (!map.TryGetValue(key, out var text) || string.IsNullOrEmpty(text)) return null;
        T[] values;
        try { values = JsonSerializer.Deserialize<T[]>(text); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: the '{key}' metadata is not a JSON array of numbers: {e.Message}", e); }
        if (values is null || values.Length != length) throw new InvalidDataException($"{source}: the '{key}' metadata must hold one value per label ({length}).");
        return values;
    }

    /// <summary>Reads the metadata of a model exported by this package; explains what is missing otherwise.</summary>
    public static OnnxModelMetadata Read(IReadOnlyDictionary<string, string> map, string source)
    {
        string Require(string key) => map.TryGetValue(key, out var v) && v is not null
            ? v
            : throw new InvalidDataException($"{source} has no '{key}' metadata; it was not exported by Microsoft.ML.PromptLearning (use transformer.ExportToOnnx).");
        if (!map.ContainsKey(FormatVersionKey))
            throw new InvalidDataException($"{source} has no '{FormatVersionKey}' metadata; it was not exported by Microsoft.ML.PromptLearning (use transformer.ExportToOnnx).");
        int format = Integer(map, FormatVersionKey, source);
        if (format > int.Parse(CurrentFormatVersion, CultureInfo.InvariantCulture))
            throw new InvalidDataException($"{source} was exported by a newer version of Microsoft.ML.PromptLearning (format {format}; this version reads format " +
                                           $"{CurrentFormatVersion}). Update the Microsoft.ML.PromptLearning package to score it.");
        if (format < 1) throw new InvalidDataException($"{source}: '{FormatVersionKey}' is {format}; formats start at 1. The file is damaged; export the model again.");
        string[] labels;
        try { labels = JsonSerializer.Deserialize<string[]>(Require(LabelsKey)); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: the '{LabelsKey}' metadata is not a JSON array of strings: {e.Message}", e); }
        if (labels is null || labels.Length == 0 || labels.Any(l => l is null))
            throw new InvalidDataException($"{source}: the '{LabelsKey}' metadata lists no label names. The file is damaged; export the model again.");
        Require(MaxSequenceLengthKey);
        Require(DoLowerCaseKey);
        int maxLength = Integer(map, MaxSequenceLengthKey, source);
        if (maxLength < 2) throw new InvalidDataException($"{source}: '{MaxSequenceLengthKey}' is {maxLength}; it must be at least 2. The file is damaged; export the model again.");
        if (!bool.TryParse(map[DoLowerCaseKey], out bool lower))
            throw new InvalidDataException($"{source}: '{DoLowerCaseKey}' is '{map[DoLowerCaseKey]}', not true or false. The file is damaged; export the model again.");
        int padId = map.ContainsKey(PadTokenIdKey) ? Integer(map, PadTokenIdKey, source) : 0;
        return new OnnxModelMetadata
        {
            ModelKind = map.GetValueOrDefault(ModelKindKey),
            InputEncoding = Require(InputEncodingKey),
            Labels = labels,
            MaxSequenceLength = maxLength,
            DoLowerCase = lower,
            Vocab = map.GetValueOrDefault(VocabKey),
            VocabSha256 = map.GetValueOrDefault(VocabSha256Key),
            PadTokenId = padId,
            Precision = ParsePrecision(map.GetValueOrDefault(PrecisionKey), source),
            Template = map.GetValueOrDefault(TemplateKey),
            TextColumn = map.GetValueOrDefault(TextColumnKey) ?? "Text",
            TextPairColumn = string.IsNullOrEmpty(map.GetValueOrDefault(TextPairColumnKey)) ? null : map[TextPairColumnKey],
            ScoreColumn = map.GetValueOrDefault(ScoreColumnKey) ?? "Score",
            PredictedLabelColumn = map.GetValueOrDefault(PredictedLabelColumnKey) ?? "PredictedLabel",
            Thresholds = ReadArray<float>(map, ThresholdsKey, labels.Length, source),
            LabelParents = ReadArray<int>(map, LabelParentsKey, labels.Length, source),
            All = map,
        };
    }

    private static int Integer(IReadOnlyDictionary<string, string> map, string key, string source) =>
        int.TryParse(map[key], NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new InvalidDataException($"{source}: the '{key}' metadata is '{map[key]}', not an integer. The file is damaged; export the model again.");
}
