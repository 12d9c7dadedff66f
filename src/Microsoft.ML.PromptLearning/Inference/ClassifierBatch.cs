using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Inference;

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
    /// <summary>float32 [B, C] target distributions (teacher soft labels; one-hot rows for labelled examples), or null when no row has a soft label.</summary>
    public Tensor SoftTargets { get; private init; }
    /// <summary>float32 [B]: 1 where the row's target is a teacher's soft label, 0 for a labelled row; null with <see cref="SoftTargets"/>.</summary>
    public Tensor SoftRows { get; private init; }
    /// <summary>Per row, the class indices of a multi-label example (null entries for single-label rows).</summary>
    public IReadOnlyList<int[]> LabelSets { get; private init; }
    /// <summary>B.</summary>
    public int Size { get; private init; }

    /// <summary>Pads and stacks examples on <paramref name="device"/> (padding as in <see cref="PaddedBatchArrays"/>).</summary>
    public static ClassifierBatch Collate(IReadOnlyList<EncodedExample> examples, Device device, int padId)
    {
        var a = PaddedBatchArrays.Pad(examples, padId);
        var labels = examples.Select(e => (long)e.Label).ToArray();
        bool labelled = examples.All(e => e.Label >= 0);
        var shape = a.Shape;
        var soft = SoftTargetArrays(examples);
        return new ClassifierBatch
        {
            InputIds = tensor(a.InputIds, shape, device: device),
            TokenTypeIds = tensor(a.TokenTypeIds, shape, device: device),
            AttentionMask = tensor(a.AttentionMask, shape, device: device),
            PositionIds = a.PositionIds is null ? null : tensor(a.PositionIds, shape, device: device),
            SoftTokenIds = a.SoftTokenIds is null ? null : tensor(a.SoftTokenIds, shape, device: device),
            MaskPositions = tensor(a.MaskPositions, a.MaskShape, device: device),
            Labels = labelled ? tensor(labels, device: device) : null,
            SoftTargets = soft is { } st ? tensor(st.Targets, new long[] { a.BatchSize, st.Classes }, device: device) : null,
            SoftRows = soft is { } sr ? tensor(sr.Rows, device: device) : null,
            LabelSets = examples.Select(e => e.LabelSet).ToArray(),
            Size = a.BatchSize,
        };
    }

    /// <summary>Row-major [B, C] targets and the [B] soft-row flags when some row has a soft label.</summary>
    private static (float[] Targets, float[] Rows, int Classes)? SoftTargetArrays(IReadOnlyList<EncodedExample> examples)
    {
        var first = examples.FirstOrDefault(e => e.SoftLabel is not null);
        if (first is null) return null;
        int c = first.SoftLabel.Length;
        var targets = new float[examples.Count * c];
        var rows = new float[examples.Count];
        for (int r = 0; r < examples.Count; r++)
        {
            var e = examples[r];
            if (e.SoftLabel is { } q)
            {
                if (q.Length != c) throw new InvalidOperationException($"Soft labels of one batch must have the same class count ({q.Length} vs {c}).");
                q.CopyTo(targets, r * c);
                rows[r] = 1;
            }
            else if (e.Label >= 0 && e.Label < c) targets[r * c + e.Label] = 1;
            else throw new InvalidOperationException($"A labelled example in a distillation batch has class {e.Label}, outside 0..{c - 1}.");
        }
        return (targets, rows, c);
    }
}
