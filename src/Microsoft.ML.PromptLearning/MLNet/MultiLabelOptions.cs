using Microsoft.ML.PromptLearning.MultiLabel;

namespace Microsoft.ML.PromptLearning;

/// <summary>
/// What makes a trainer of <see cref="MultiLabelClassificationCatalog"/> multi-label: every label is its own yes/no decision
/// (a sigmoid per label, BCEWithLogits loss, PaddleNLP's multi-label recipe) and a label is predicted when its probability
/// is above its threshold.
/// </summary>
public sealed class MultiLabelOptions
{
    /// <summary>The threshold of every label (PaddleNLP's 0.5).</summary>
    public float Threshold = LabelThresholds.Default;

    /// <summary>
    /// After training, choose one threshold per label that maximises the label's F1 on the trainer's
    /// <see cref="ErnieTrainerOptionsBase.ValidationSet"/> (see <see cref="LabelThresholds.Tune"/>). Needs a validation set.
    /// </summary>
    public bool TuneThresholds;

    /// <summary>
    /// Whether the labels form a tree of <c>A##B</c> paths whose predictions are completed with every ancestor (a predicted
    /// child implies its parent, see <see cref="LabelHierarchy"/>). Null = when some label contains <c>##</c>.
    /// </summary>
    public bool? Hierarchical;

    /// <summary>Output column with the predicted labels: a variable-length vector of keys.</summary>
    public string PredictedLabelsColumnName = "PredictedLabels";
}
