namespace Microsoft.ML.PromptLearning.Inference;

/// <summary>
/// Encoded examples padded to the longest of them and flattened row-major into int64 arrays (dynamic padding). The one
/// place that decides how a batch is padded: the TorchSharp batch (<see cref="ClassifierBatch"/>), the prompt batch and
/// the ONNX Runtime inputs are all made from these arrays, so training, TorchSharp scoring and ONNX scoring see the
/// same values. Padded positions get <c>[PAD]</c> ids and zeros elsewhere; the attention mask is 1 on real tokens.
/// </summary>
internal sealed class PaddedBatchArrays
{
    /// <summary>Model input name of <see cref="InputIds"/>.</summary>
    public const string InputIdsName = "input_ids";
    /// <summary>Model input name of <see cref="AttentionMask"/>.</summary>
    public const string AttentionMaskName = "attention_mask";
    /// <summary>Model input name of <see cref="TokenTypeIds"/>.</summary>
    public const string TokenTypeIdsName = "token_type_ids";
    /// <summary>Model input name of <see cref="PositionIds"/>.</summary>
    public const string PositionIdsName = "position_ids";
    /// <summary>Model input name of <see cref="MaskPositions"/>.</summary>
    public const string MaskPositionsName = "mask_positions";
    /// <summary>Model input name of <see cref="SoftTokenIds"/>.</summary>
    public const string SoftTokenIdsName = "soft_token_ids";

    /// <summary>B: number of rows.</summary>
    public int BatchSize { get; private init; }
    /// <summary>T: length of the longest example.</summary>
    public int Length { get; private init; }
    /// <summary>M: [MASK] slots per row.</summary>
    public int MaskCount { get; private init; }
    /// <summary>[B, T] token ids, <c>[PAD]</c> after each row's end.</summary>
    public long[] InputIds { get; private init; }
    /// <summary>[B, T] segment ids.</summary>
    public long[] TokenTypeIds { get; private init; }
    /// <summary>[B, T]: 1 real token, 0 padding.</summary>
    public long[] AttentionMask { get; private init; }
    /// <summary>[B, T] position ids (0..len-1 for rows without their own), or null when no row has any and defaults were not asked for.</summary>
    public long[] PositionIds { get; private init; }
    /// <summary>[B, T] soft-token slots (0 = none), or null when no row has any and defaults were not asked for.</summary>
    public long[] SoftTokenIds { get; private init; }
    /// <summary>[B, M]: per row, the indices of its [MASK] slots.</summary>
    public long[] MaskPositions { get; private init; }

    /// <summary>The shape of the [B, T] arrays.</summary>
    public long[] Shape => [BatchSize, Length];
    /// <summary>The shape of <see cref="MaskPositions"/>: [B, M].</summary>
    public long[] MaskShape => [BatchSize, MaskCount];

    /// <summary>The array fed to the model input called <paramref name="name"/> (one of the <c>…Name</c> constants).</summary>
    /// <exception cref="InvalidDataException">The model asks for an input this version does not feed.</exception>
    public long[] Input(string name) => name switch
    {
        InputIdsName => InputIds,
        AttentionMaskName => AttentionMask,
        TokenTypeIdsName => TokenTypeIds,
        PositionIdsName => PositionIds,
        SoftTokenIdsName => SoftTokenIds,
        MaskPositionsName => MaskPositions,
        _ => throw new InvalidDataException($"The model has an input '{name}' that this version of Microsoft.ML.PromptLearning does not feed."),
    };

    /// <summary>The shape of the model input called <paramref name="name"/>: <see cref="MaskShape"/> for the [MASK] positions, else <see cref="Shape"/>.</summary>
    public long[] InputShape(string name) => name == MaskPositionsName ? MaskShape : Shape;

    /// <summary>Pads <paramref name="examples"/> (at least one; all with the same number of [MASK] slots).</summary>
    /// <param name="examples">The rows of the batch.</param>
    /// <param name="padId">The tokenizer's <c>[PAD]</c> id.</param>
    /// <param name="allInputs">Fill <see cref="PositionIds"/> and <see cref="SoftTokenIds"/> even when no row has them
    /// (with the defaults 0..T-1 and 0), as a graph that declares every input needs; otherwise they stay null then.</param>
    public static PaddedBatchArrays Pad(IReadOnlyList<EncodedExample> examples, int padId, bool allInputs = false)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("A batch needs at least one example.", nameof(examples));
        int b = examples.Count;
        int t = examples.Max(e => e.Length);
        int m = examples[0].MaskPositions.Length;
        var ids = new long[b * t];
        var types = new long[b * t];
        var mask = new long[b * t];
        var positions = allInputs || examples.Any(e => e.PositionIds is not null) ? new long[b * t] : null;
        var soft = allInputs || examples.Any(e => e.SoftTokenIds is not null) ? new long[b * t] : null;
        var masks = new long[b * m];
        for (int r = 0; r < b; r++)
        {
            var e = examples[r];
            if (e.MaskPositions.Length != m) throw new InvalidOperationException("Every example of a batch must have the same number of [MASK] slots.");
            for (int i = 0; i < t; i++)
            {
                int k = r * t + i;
                bool real = i < e.Length;
                ids[k] = real ? e.InputIds[i] : padId;
                types[k] = real ? e.TokenTypeIds[i] : 0;
                mask[k] = real ? 1 : 0;
                if (positions is not null) positions[k] = real ? (e.PositionIds?[i] ?? i) : 0;
                if (soft is not null) soft[k] = real && e.SoftTokenIds is not null ? e.SoftTokenIds[i] : 0;
            }
            for (int j = 0; j < m; j++) masks[r * m + j] = e.MaskPositions[j];
        }
        return new PaddedBatchArrays
        {
            BatchSize = b, Length = t, MaskCount = m,
            InputIds = ids, TokenTypeIds = types, AttentionMask = mask, PositionIds = positions, SoftTokenIds = soft, MaskPositions = masks,
        };
    }
}
