using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Inference;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>
/// Encodings of one template padded to the batch's longest (dynamic padding, PaddleNLP's
/// <c>PromptDataCollatorWithPadding</c>): every tensor is int64 on the chosen device. Padding uses <c>[PAD]</c> ids and
/// zeros elsewhere; the attention mask is 1 on real tokens. The tensors belong to the caller's dispose scope.
/// </summary>
public sealed class PromptBatch
{
    private PromptBatch(Tensor inputIds, Tensor tokenTypeIds, Tensor positionIds, Tensor attentionMask, Tensor softTokenIds, Tensor maskPositions, bool hasSoftTokens)
    {
        HasSoftTokens = hasSoftTokens;
        InputIds = inputIds;
        TokenTypeIds = tokenTypeIds;
        PositionIds = positionIds;
        AttentionMask = attentionMask;
        SoftTokenIds = softTokenIds;
        MaskPositions = maskPositions;
    }

    /// <summary>Token ids <c>[B, T]</c>.</summary>
    public Tensor InputIds { get; }
    /// <summary>Token type ids <c>[B, T]</c>.</summary>
    public Tensor TokenTypeIds { get; }
    /// <summary>Position ids <c>[B, T]</c>.</summary>
    public Tensor PositionIds { get; }
    /// <summary>1 for real tokens, 0 for padding <c>[B, T]</c>.</summary>
    public Tensor AttentionMask { get; }
    /// <summary>Soft token ids <c>[B, T]</c> (0 = ordinary token).</summary>
    public Tensor SoftTokenIds { get; }
    /// <summary>Indices of the template's masks in each row <c>[B, M]</c>.</summary>
    public Tensor MaskPositions { get; }
    /// <summary>Whether some position holds a soft token (then a <see cref="SoftPromptEmbedding"/> must embed the batch).</summary>
    public bool HasSoftTokens { get; }

    /// <summary>Pads <paramref name="encodings"/> (all from the same template) into tensors on <paramref name="device"/> (CPU when null).</summary>
    /// <param name="encodings">At least one encoding.</param>
    /// <param name="padId">The tokenizer's <c>[PAD]</c> id.</param>
    /// <param name="device">Where the tensors go.</param>
    public static PromptBatch Collate(IReadOnlyList<PromptEncoding> encodings, int padId, Device device = null)
    {
        ArgumentNullException.ThrowIfNull(encodings);
        if (encodings.Count == 0) throw new ArgumentException("A batch needs at least one encoding.", nameof(encodings));
        int masks = encodings[0].MaskPositions.Length;
        for (int b = 0; b < encodings.Count; b++)
        {
            if (encodings[b].MaskPositions.Length != masks)
                throw new ArgumentException($"Encoding {b} has {encodings[b].MaskPositions.Length} masks but encoding 0 has {masks}; a batch must come from one template.", nameof(encodings));
        }
        var a = PaddedBatchArrays.Pad(encodings.Select(e => new EncodedExample
        {
            InputIds = e.InputIds, TokenTypeIds = e.TokenTypeIds, PositionIds = e.PositionIds, MaskPositions = e.MaskPositions, SoftTokenIds = e.SoftTokenIds,
        }).ToList(), padId, allInputs: true);
        var shape = a.Shape;
        bool hasSoft = Array.Exists(a.SoftTokenIds, id => id != 0);
        device ??= CPU;
        return new PromptBatch(
            tensor(a.InputIds, shape, dtype: int64, device: device),
            tensor(a.TokenTypeIds, shape, dtype: int64, device: device),
            tensor(a.PositionIds, shape, dtype: int64, device: device),
            tensor(a.AttentionMask, shape, dtype: int64, device: device),
            tensor(a.SoftTokenIds, shape, dtype: int64, device: device),
            tensor(a.MaskPositions, a.MaskShape, dtype: int64, device: device),
            hasSoft);
    }

    /// <summary>The hidden states at the mask positions: <paramref name="hidden"/> <c>[B, T, H]</c> → <c>[B, M, H]</c>.</summary>
    public Tensor GatherMaskHidden(Tensor hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (hidden.dim() != 3 || hidden.shape[0] != InputIds.shape[0] || hidden.shape[1] != InputIds.shape[1])
            throw new ArgumentException($"hidden must be [{InputIds.shape[0]}, {InputIds.shape[1]}, H] but is [{string.Join(", ", hidden.shape)}].", nameof(hidden));
        var index = MaskPositions.unsqueeze(-1).expand(MaskPositions.shape[0], MaskPositions.shape[1], hidden.shape[2]);
        return hidden.gather(1, index);
    }

    /// <summary>
    /// Runs the encoder on this batch — word embeddings, soft vectors in place (when <paramref name="softPrompt"/> is
    /// given), token types, positions, attention mask — and returns the hidden states at the masks <c>[B, M, H]</c>,
    /// ready for <see cref="Verbalizer.LabelLogits"/> or <see cref="Verbalizer.Loss"/>.
    /// </summary>
    public Tensor EncodeMasks(ErnieForMaskedLM model, SoftPromptEmbedding softPrompt = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (HasSoftTokens && softPrompt is null)
            throw new ArgumentNullException(nameof(softPrompt), "The batch has soft tokens; pass the template's SoftPromptEmbedding.");
        var words = model.Ernie.Embeddings.EmbedWords(InputIds);                                 // [B, T, H]
        var embeds = softPrompt is null ? words : softPrompt.Embed(words, SoftTokenIds);
        var output = model.Encode(new ErnieInputs
        {
            InputsEmbeds = embeds,
            TokenTypeIds = TokenTypeIds,
            PositionIds = PositionIds,
            AttentionMask = AttentionMask,
            OutputPositions = MaskPositions,
        });
        return output.LastHiddenState;                                                           // [B, M, H]
    }
}
