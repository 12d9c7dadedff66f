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

    /// <summary>Pads and stacks examples on <paramref name="device"/> (padding as in <see cref="PaddedBatchArrays"/>).</summary>
    public static ClassifierBatch Collate(IReadOnlyList<EncodedExample> examples, Device device, int padId)
    {
        var a = PaddedBatchArrays.Pad(examples, padId);
        var labels = examples.Select(e => (long)e.Label).ToArray();
        bool labelled = examples.All(e => e.Label >= 0);
        var shape = a.Shape;
        return new ClassifierBatch
        {
            InputIds = tensor(a.InputIds, shape, device: device),
            TokenTypeIds = tensor(a.TokenTypeIds, shape, device: device),
            AttentionMask = tensor(a.AttentionMask, shape, device: device),
            PositionIds = a.PositionIds is null ? null : tensor(a.PositionIds, shape, device: device),
            SoftTokenIds = a.SoftTokenIds is null ? null : tensor(a.SoftTokenIds, shape, device: device),
            MaskPositions = tensor(a.MaskPositions, a.MaskShape, device: device),
            Labels = labelled ? tensor(labels, device: device) : null,
            Size = a.BatchSize,
        };
    }
}
