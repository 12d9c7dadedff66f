namespace Microsoft.ML.PromptLearning.Inference;

/// <summary>One text (or pair) turned into model inputs; arrays have the same length T except <see cref="MaskPositions"/>.</summary>
internal sealed class EncodedExample
{
    /// <summary>Token ids.</summary>
    public int[] InputIds { get; init; }
    /// <summary>Segment ids.</summary>
    public int[] TokenTypeIds { get; init; }
    /// <summary>Position ids; null = 0..T-1.</summary>
    public int[] PositionIds { get; init; }
    /// <summary>Indices of the [MASK] slots the verbalizer reads (empty for the fine-tune model).</summary>
    public int[] MaskPositions { get; init; } = [];
    /// <summary>0 = ordinary token, k ≥ 1 = soft prompt vector k-1; null when the template has no soft tokens.</summary>
    public int[] SoftTokenIds { get; init; }
    /// <summary>0-based class index, or -1 when unknown (scoring).</summary>
    public int Label { get; set; } = -1;
    /// <summary>
    /// A teacher's class distribution to learn from instead of <see cref="Label"/> (distillation on unlabeled text), or null for
    /// an ordinary labelled example. When set, <see cref="Label"/> holds its most probable class.
    /// </summary>
    public float[] SoftLabel { get; set; }
    /// <summary>The class indices of a multi-label example (empty = none of the labels), or null for a single-label example.</summary>
    public int[] LabelSet { get; set; }

    /// <summary>Text tokens cut to fit the maximum sequence length (0 when nothing was cut).</summary>
    public int DroppedTokens { get; init; }

    /// <summary>T.</summary>
    public int Length => InputIds.Length;
}
