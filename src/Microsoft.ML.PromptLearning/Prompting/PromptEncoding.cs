namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>
/// One example wrapped in a template and tokenized, as PaddleNLP's <c>MLMPromptTokenizer</c> produces it:
/// <c>[CLS]</c> first, <c>[SEP]</c> last, no padding. All arrays except <see cref="MaskPositions"/> have one entry per token.
/// </summary>
/// <param name="InputIds">Token ids. At soft positions PaddleNLP stores the soft token id itself (1, 2, …) as a
/// placeholder; those positions are replaced by soft vectors before the model sees them, so never read them as words.</param>
/// <param name="TokenTypeIds">Segment ids (from the template's <c>token_type</c>); 0 at <c>[CLS]</c> and at the final <c>[SEP]</c>.</param>
/// <param name="PositionIds">Position ids: <c>[CLS]</c> 0, then 1, 2, … (restarting where a part sets <c>position</c>); the final
/// <c>[SEP]</c> gets 0, as in PaddleNLP.</param>
/// <param name="MaskPositions">Indices of the template's <c>[MASK]</c> tokens, in order (always <see cref="Template.MaskCount"/> of them).</param>
/// <param name="SoftTokenIds">0 for ordinary tokens; k ≥ 1 marks soft vector k-1 of the <see cref="SoftPromptEmbedding"/>.</param>
public sealed record PromptEncoding(int[] InputIds, int[] TokenTypeIds, int[] PositionIds, int[] MaskPositions, int[] SoftTokenIds)
{
    /// <summary>Number of tokens.</summary>
    public int Length => InputIds.Length;

    /// <summary>Whether some text was cut to fit the maximum sequence length.</summary>
    public bool Truncated => DroppedTokens > 0;

    /// <summary>Text tokens cut to fit the maximum sequence length (0 when nothing was cut).</summary>
    public int DroppedTokens { get; init; }
}
