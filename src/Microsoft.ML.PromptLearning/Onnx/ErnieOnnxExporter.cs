using System.Text.Json;
using Google.Protobuf;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.Onnx.Proto;
using Microsoft.ML.PromptLearning.Tokenization;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Onnx;

/// <summary>
/// Builds the ONNX model of a fitted classifier from its weights (TorchSharp has no exporter and cannot trace C#
/// modules): shared ERNIE encoder (<see cref="ErnieOnnxGraph"/>) + the network's head (<see cref="OnnxClassifierHead"/>, given by
/// the fitted transformer that owns the network)
/// + softmax (a sigmoid per label for multi-label models) → output <c>probabilities</c> float32 <c>[batch, classes]</c>; inputs int64
/// <c>[batch, sequence]</c>. Multi-label models also carry their task, thresholds and label tree in the metadata.
/// </summary>
internal static class ErnieOnnxExporter
{
    public const string ProbabilitiesName = ErnieOnnxGraph.ProbabilitiesOutput;

    public static ModelProto Build(ClassifierNet net, OnnxClassifierHead head, ErnieTokenizer tokenizer, ScoringSettings settings, OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(settings);
        options ??= new OnnxExportOptions();
        if (settings.LabelNames.Length != net.ClassCount)
            throw new InvalidOperationException($"The model has {net.ClassCount} classes but {settings.LabelNames.Length} label names.");
        using var noGrad = no_grad();

        var builder = new OnnxGraphBuilder("ernie_" + head.Kind.Replace('-', '_') + "_classifier");
        var g = new ErnieOnnxGraph(builder, net.Plm, options.Precision, options.Int8Kernel, head.ExtraInputs);
        var rows = g.Encoder(g.Embeddings(head.WordEmbeddings(g)), hidden => head.OutputRows(g, hidden));           // [B, Q, H]
        var logits = head.Logits(g, rows);                                                                            // [B, C]
        if (g.ComputeType != OnnxType.Float) logits = builder.Node("Cast", [logits], "logits_float", ("to", (long)OnnxType.Float));
        if (settings.MultiLabel) builder.Node("Sigmoid", [logits], ProbabilitiesName);
        else builder.Node("Softmax", [logits], ProbabilitiesName, ("axis", -1L));
        builder.Output(ProbabilitiesName, OnnxType.Float, ErnieOnnxGraph.BatchDim, net.ClassCount);

        builder.Metadata(OnnxModelMetadata.FormatVersionKey, OnnxModelMetadata.CurrentFormatVersion);
        builder.Metadata(OnnxModelMetadata.ModelKindKey, head.Kind);
        builder.Metadata(OnnxModelMetadata.InputEncodingKey, head.InputEncoding);
        builder.Metadata(OnnxModelMetadata.LabelsKey, JsonSerializer.Serialize(settings.LabelNames, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        builder.Metadata(OnnxModelMetadata.MaxSequenceLengthKey, settings.MaxSequenceLength.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.Metadata(OnnxModelMetadata.DoLowerCaseKey, tokenizer.LowerCase ? "true" : "false");
        builder.Metadata(OnnxModelMetadata.PadTokenIdKey, tokenizer.PadId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.Metadata(OnnxModelMetadata.VocabSha256Key, OnnxModelMetadata.Sha256(tokenizer.VocabText));
        if (options.EmbedVocabulary) builder.Metadata(OnnxModelMetadata.VocabKey, tokenizer.VocabText);
        builder.Metadata(OnnxModelMetadata.PrecisionKey, OnnxModelMetadata.PrecisionName(options.Precision));
        builder.Metadata(OnnxModelMetadata.ModelConfigKey, net.Plm.Config.ToJson().ToJsonString());
        builder.Metadata(OnnxModelMetadata.TextColumnKey, settings.TextColumn);
        builder.Metadata(OnnxModelMetadata.TextPairColumnKey, settings.TextPairColumn ?? "");
        builder.Metadata(OnnxModelMetadata.ScoreColumnKey, settings.ScoreColumn);
        builder.Metadata(OnnxModelMetadata.PredictedLabelColumnKey, settings.PredictedLabelColumn);
        head.AddMetadata(builder);
        if (settings.MultiLabel) OnnxModelMetadata.AddMultiLabel(builder, settings);

        var c = net.Plm.Config;
        return builder.Build("Microsoft.ML.PromptLearning", typeof(ErnieOnnxExporter).Assembly.GetName().Version?.ToString(),
            $"ERNIE {head.Kind} text classifier ({c.NumHiddenLayers} layers, hidden {c.HiddenSize}, {net.ClassCount} classes, {options.Precision}). " +
            $"Inputs: int64 [batch, sequence] token ids from the vocabulary in the metadata; output '{ProbabilitiesName}' [batch, classes].");
    }
}
