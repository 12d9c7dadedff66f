using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Training;

/// <summary>
/// A dynamically padded batch: every tensor is padded only to the longest example of the batch (never to the
/// maximum sequence length). Built inside a dispose scope; the tensors live as long as that scope.
/// </summary>
internal sealed class ClassifierBatch
{
    /// <summary>int64 [B, T].</summary>
    public Tensor InputIds { get; private init; }
    /// <summary>int64 [B, T].</summary>
    public Tensor TokenTypeIds { get; private init; }
    /// <summary>int64 [B, T], or null for default positions.</summary>
    public Tensor PositionIds { get; private init; }
    /// <summary>int64 [B, T]: 1 real token, 0 padding.</summary>
    public Tensor AttentionMask { get; private init; }
    /// <summary>int64 [B, T] soft-token slots (0 = none), or null.</summary>
    public Tensor SoftTokenIds { get; private init; }
    /// <summary>int64 [B, M]: per row, the indices of its [MASK] slots.</summary>
    public Tensor MaskPositions { get; private init; }
    /// <summary>int64 [B] class indices, or null when scoring.</summary>
    public Tensor Labels { get; private init; }
    /// <summary>B.</summary>
    public int Size { get; private init; }

    /// <summary>Pads and stacks examples on <paramref name="device"/>.</summary>
    public static ClassifierBatch Collate(IReadOnlyList<EncodedExample> examples, Device device, int padId)
    {
        int b = examples.Count;
        int t = examples.Max(e => e.Length);
        int m = examples[0].MaskPositions.Length;
        var ids = new long[b * t];
        var types = new long[b * t];
        var mask = new long[b * t];
        bool hasPositions = examples.Any(e => e.PositionIds is not null);
        bool hasSoft = examples.Any(e => e.SoftTokenIds is not null);
        var positions = hasPositions ? new long[b * t] : null;
        var soft = hasSoft ? new long[b * t] : null;
        var masks = new long[b * m];
        var labels = new long[b];
        bool labelled = examples.All(e => e.Label >= 0);
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
            labels[r] = e.Label;
        }
        var shape = new long[] { b, t };
        return new ClassifierBatch
        {
            InputIds = tensor(ids, shape, device: device),
            TokenTypeIds = tensor(types, shape, device: device),
            AttentionMask = tensor(mask, shape, device: device),
            PositionIds = positions is null ? null : tensor(positions, shape, device: device),
            SoftTokenIds = soft is null ? null : tensor(soft, shape, device: device),
            MaskPositions = tensor(masks, new long[] { b, m }, device: device),
            Labels = labelled ? tensor(labels, device: device) : null,
            Size = b,
        };
    }
}
