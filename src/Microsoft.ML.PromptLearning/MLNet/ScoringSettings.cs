namespace Microsoft.ML.PromptLearning.MLNet;

/// <summary>Column names and sizes that scoring needs (persisted with the model).</summary>
internal sealed class ScoringSettings
{
    public string TextColumn { get; init; }
    public string TextPairColumn { get; init; }
    public string ScoreColumn { get; init; }
    public string PredictedLabelColumn { get; init; }
    public string[] LabelNames { get; init; }
    public int MaxSequenceLength { get; init; }
    public int EvalBatchSize { get; init; }

    public static ScoringSettings From(ErnieTrainerOptionsBase o, string[] labelNames) => new()
    {
        TextColumn = o.TextColumnName, TextPairColumn = string.IsNullOrEmpty(o.TextPairColumnName) ? null : o.TextPairColumnName,
        ScoreColumn = o.ScoreColumnName, PredictedLabelColumn = o.PredictedLabelColumnName, LabelNames = labelNames,
        MaxSequenceLength = o.MaxSequenceLength, EvalBatchSize = o.EvalBatchSize,
    };
}
