namespace Microsoft.ML.PromptLearning.Inference;

/// <summary>Column names and sizes that scoring needs (persisted with the model and written to its ONNX metadata).</summary>
internal sealed record ScoringSettings
{
    public string TextColumn { get; init; }
    public string TextPairColumn { get; init; }
    public string ScoreColumn { get; init; }
    public string PredictedLabelColumn { get; init; }
    public string[] LabelNames { get; init; }
    public int MaxSequenceLength { get; init; }
    public int EvalBatchSize { get; init; }
    /// <summary>What scores in <c>Transform</c> and <c>PredictionEngine</c> (persisted with the model).</summary>
    public ScoringEngine Engine { get; init; }
    /// <summary>The precision of <see cref="ScoringEngine.OnnxRuntime"/> scoring.</summary>
    public ScoringPrecision Precision { get; init; }
}
