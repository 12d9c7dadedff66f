namespace Microsoft.ML.PromptLearning.Onnx;

/// <summary>Exports fitted ERNIE classifiers to ONNX.</summary>
public static class OnnxExport
{
    /// <summary>
    /// Writes the classifier as an ONNX model (opset 17): int64 inputs <c>input_ids</c>, <c>attention_mask</c>,
    /// <c>token_type_ids</c> (plus <c>position_ids</c>, <c>mask_positions</c> and <c>soft_token_ids</c> for a prompt model), dynamic batch and
    /// sequence dimensions, output <c>probabilities</c> float32 <c>[batch, classes]</c>. The metadata carries the label
    /// names, maximum sequence length, tokenizer settings and vocabulary (and a prompt model's template), so
    /// <see cref="OnnxPredictor"/> scores text from the file alone. Fine-tuned (<see cref="ErnieTextClassificationTransformer"/>)
    /// and prompt (<see cref="PromptErnieTransformer"/>, any verbalizer, soft prompts included) models are supported.
    /// </summary>
    public static void ExportToOnnx(this ErnieClassifierTransformerBase transformer, Stream stream, OnnxExportOptions options = null)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        ArgumentNullException.ThrowIfNull(stream);
        Google.Protobuf.MessageExtensions.WriteTo(transformer.BuildOnnx(options), stream);
    }

    /// <summary>Writes the classifier as an ONNX model file (atomically); see <see cref="ExportToOnnx(ErnieClassifierTransformerBase, Stream, OnnxExportOptions)"/>.</summary>
    public static void ExportToOnnx(this ErnieClassifierTransformerBase transformer, string path, OnnxExportOptions options = null)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var model = transformer.BuildOnnx(options);
        AtomicFile.Write(path, s => Google.Protobuf.MessageExtensions.WriteTo(model, s));
    }
}
