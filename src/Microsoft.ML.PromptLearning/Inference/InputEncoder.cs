using Microsoft.ML.PromptLearning.Tokenization;

namespace Microsoft.ML.PromptLearning.Inference;

/// <summary>
/// Turns a text (and optional pair) into model inputs: token ids, token types, positions and the rows the head reads. The
/// one place text becomes an <see cref="EncodedExample"/>, used alike by training, TorchSharp scoring and ONNX scoring,
/// so every route feeds the network the same values.
/// </summary>
internal abstract class InputEncoder
{
    /// <summary>
    /// The name a model records for this encoding (the ONNX <c>input_encoding</c> metadata):
    /// <see cref="TextPairInputEncoder.EncodingName"/> or the prompt template's.
    /// </summary>
    public abstract string Name { get; }

    /// <summary>Encodes one text (and optional second text); <paramref name="label"/> is kept on the example (-1 = unknown).</summary>
    public abstract EncodedExample Encode(string text, string textPair, int label = -1);

    /// <summary>Encodes one row, keeping its label (or label set).</summary>
    public EncodedExample Encode(TextRow row)
    {
        var e = Encode(row.Text, row.TextPair, row.Label);
        e.LabelSet = row.LabelSet;
        return e;
    }
}

/// <summary><c>[CLS] a [SEP] (b [SEP])</c> with longest-first truncation: the input of the fine-tune baseline.</summary>
internal sealed class TextPairInputEncoder(ErnieTokenizer tokenizer, int maxLength) : InputEncoder
{
    /// <summary>The <c>input_encoding</c> name of this encoding.</summary>
    public const string EncodingName = "text-pair";

    /// <inheritdoc/>
    public override string Name => EncodingName;

    /// <inheritdoc/>
    public override EncodedExample Encode(string text, string textPair, int label = -1)
    {
        var e = tokenizer.Encode(text ?? "", textPair, maxLength);
        return new EncodedExample { InputIds = e.InputIds, TokenTypeIds = e.TokenTypeIds, Label = label, DroppedTokens = e.DroppedTokens };
    }
}
