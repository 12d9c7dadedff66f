using Microsoft.ML.PromptLearning.Inference;

namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>Encodes text with a prompt template: its [MASK] slots are the rows the verbalizer reads, soft tokens get their slots.</summary>
internal sealed class PromptInputEncoder(PromptEncoder encoder) : InputEncoder
{
    /// <summary>The <c>input_encoding</c> name of this encoding (the template itself is stored beside it).</summary>
    public const string EncodingName = "prompt";

    /// <summary>The template the texts are wrapped in.</summary>
    public Template Template => encoder.Template;

    /// <inheritdoc/>
    public override string Name => EncodingName;

    /// <inheritdoc/>
    public override EncodedExample Encode(string text, string textPair, int label = -1)
    {
        var e = encoder.Encode(text ?? "", textPair);
        return new EncodedExample
        {
            InputIds = e.InputIds, TokenTypeIds = e.TokenTypeIds, PositionIds = e.PositionIds, MaskPositions = e.MaskPositions,
            SoftTokenIds = e.SoftTokenIds, Label = label, DroppedTokens = e.DroppedTokens,
        };
    }
}
