namespace Microsoft.ML.PromptLearning.Inference;

/// <summary>Column names and sizes that scoring needs (persisted with the model and written to its ONNX metadata).</summary>
internal sealed class ScoringSettings
{
    public string TextColumn { get; init; }
    public string TextPairColumn { get; init; }
    public string ScoreColumn { get; init; }
    public string PredictedLabelColumn { get; init; }
    public string[] LabelNames { get; init; }
    public int MaxSequenceLength { get; init; }
    public int EvalBatchSize { get; init; }
}
