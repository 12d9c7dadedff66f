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
    /// <summary>Multi-label models: the threshold of each label (a label is predicted above it); null for multi-class models.</summary>
    public float[] Thresholds { get; init; }
    /// <summary>Multi-label models whose labels are <c>A##B</c> paths: predictions are completed with every ancestor.</summary>
    public bool Hierarchical { get; init; }
    /// <summary>Whether the model predicts a set of labels per row.</summary>
    public bool MultiLabel => Thresholds is not null;
    /// <summary>Softmax for multi-class models, a sigmoid per label for multi-label ones.</summary>
    public LabelActivation Activation => MultiLabel ? LabelActivation.Sigmoid : LabelActivation.Softmax;
}
