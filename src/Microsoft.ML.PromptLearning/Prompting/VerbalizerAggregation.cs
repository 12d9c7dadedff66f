using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>How several tokens of one label word, or several words of one label, are combined (PaddleNLP's <c>token_aggregate_type</c> / <c>word_aggregate_type</c>).</summary>
public enum Aggregation
{
    /// <summary>Average.</summary>
    Mean,
    /// <summary>Maximum.</summary>
    Max,
    /// <summary>The first one.</summary>
    First,
}

/// <summary>How the scores of several <c>[MASK]</c> positions are combined into one score per label (PaddleNLP's <c>mask_aggregate_type</c>).</summary>
public enum MaskAggregation
{
    /// <summary>Product of the masks' probabilities, computed as the sum of their log-probabilities.</summary>
    Product,
    /// <summary>Average of the masks' scores.</summary>
    Mean,
    /// <summary>Maximum of the masks' scores.</summary>
    Max,
    /// <summary>The first mask's scores.</summary>
    First,
}

/// <summary>The reductions of PaddleNLP's <c>Verbalizer.aggregate</c> and <c>aggregate_multiple_mask</c>.</summary>
internal static class VerbalizerAggregation
{
    /// <summary>Reduces the last dimension of <paramref name="x"/>, counting only entries where <paramref name="mask"/> is 1 (mask broadcasts against x).</summary>
    public static Tensor Reduce(Tensor x, Tensor mask, Aggregation kind) => kind switch
    {
        Aggregation.Mean => (x * mask).sum(-1) / (mask.sum(-1) + 1e-15),
        Aggregation.Max => (x - 1e4 * (1 - mask)).max(-1).values,
        Aggregation.First => x.select(-1, 0),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Combines <c>[B, M, C]</c> per-mask scores into <c>[B, C]</c>.</summary>
    public static Tensor Masks(Tensor scores, MaskAggregation kind) => kind switch
    {
        MaskAggregation.Product => scores.sum(1),
        MaskAggregation.Mean => scores.mean(new long[] { 1 }),
        MaskAggregation.Max => scores.max(1).values,
        MaskAggregation.First => scores.select(1, 0),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
