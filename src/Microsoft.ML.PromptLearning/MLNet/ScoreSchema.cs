using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.Inference;

namespace Microsoft.ML.PromptLearning.MLNet;

/// <summary>
/// The two output columns of a classifier with ML.NET's annotations, so that Evaluate and key-to-value mapping work:
/// PredictedLabel (a key) and Score (class probabilities) for multi-class models, PredictedLabels (a variable-length vector
/// of keys: the labels above their thresholds) and Score (one sigmoid probability per label) for multi-label models.
/// </summary>
internal static class ScoreSchema
{
    /// <summary>The output columns of a model with <paramref name="settings"/>.</summary>
    public static DataViewSchema.DetachedColumn[] OutputColumns(DataViewSchema inputSchema, ScoringSettings settings) => settings.MultiLabel
        ? MultiLabelOutputColumns(settings)
        : OutputColumns(inputSchema, settings.PredictedLabelColumn, settings.ScoreColumn, settings.LabelNames);

    private static DataViewSchema.DetachedColumn[] MultiLabelOutputColumns(ScoringSettings settings)
    {
        int classes = settings.LabelNames.Length;
        var names = new VBuffer<ReadOnlyMemory<char>>(classes, settings.LabelNames.Select(n => n.AsMemory()).ToArray());
        var namesType = new VectorDataViewType(TextDataViewType.Instance, classes);
        ValueGetter<VBuffer<ReadOnlyMemory<char>>> namesGetter = (ref VBuffer<ReadOnlyMemory<char>> dst) => names.CopyTo(ref dst);
        var keyAnnotations = new DataViewSchema.Annotations.Builder();
        keyAnnotations.Add(AnnotationUtils.Kinds.KeyValues, namesType, namesGetter);
        var scoreAnnotations = new DataViewSchema.Annotations.Builder();
        scoreAnnotations.Add(AnnotationUtils.Kinds.SlotNames, namesType, namesGetter);
        return new[]
        {
            new DataViewSchema.DetachedColumn(settings.PredictedLabelColumn, new VectorDataViewType(new KeyDataViewType(typeof(uint), classes)), keyAnnotations.ToAnnotations()),
            new DataViewSchema.DetachedColumn(settings.ScoreColumn, new VectorDataViewType(NumberDataViewType.Single, classes), scoreAnnotations.ToAnnotations()),
        };
    }

    /// <summary>The estimator-side shape of a multi-label model's output columns.</summary>
    public static SchemaShape MultiLabelOutputShape(SchemaShape inputSchema, string predictedLabelsColumn, string scoreColumn)
    {
        var columns = inputSchema.ToDictionary(c => c.Name);
        var keyValues = new SchemaShape.Column(AnnotationUtils.Kinds.KeyValues, SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false);
        var slotNames = new SchemaShape.Column(AnnotationUtils.Kinds.SlotNames, SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false);
        columns[predictedLabelsColumn] = new SchemaShape.Column(predictedLabelsColumn, SchemaShape.Column.VectorKind.VariableVector, NumberDataViewType.UInt32, true, new SchemaShape(new[] { keyValues }));
        columns[scoreColumn] = new SchemaShape.Column(scoreColumn, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, new SchemaShape(new[] { slotNames }));
        return new SchemaShape(columns.Values);
    }

    /// <summary>
    /// The getters of the two output columns of a model with <paramref name="settings"/> (null where
    /// <paramref name="activeOutput"/> says the column is not needed), reading the current row's probabilities.
    /// </summary>
    public static Delegate[] Getters(Func<int, bool> activeOutput, Func<float[]> probabilities, ScoringSettings settings) => settings.MultiLabel
        ? [activeOutput(0) ? PredictedLabelsGetter(probabilities, settings) : null, activeOutput(1) ? ScoreGetter(probabilities) : null]
        : Getters(activeOutput, probabilities);

    /// <summary>PredictedLabels: the 1-based keys of the labels above their thresholds, completed with their ancestors for a label tree.</summary>
    public static ValueGetter<VBuffer<uint>> PredictedLabelsGetter(Func<float[]> probabilities, ScoringSettings settings) => (ref VBuffer<uint> dst) =>
    {
        var labels = MultiLabelScoring.Decide(settings, probabilities());
        var editor = VBufferEditor.Create(ref dst, labels.Length);
        for (int i = 0; i < labels.Length; i++) editor.Values[i] = (uint)labels[i] + 1;
        dst = editor.Commit();
    };

    public static DataViewSchema.DetachedColumn[] OutputColumns(DataViewSchema inputSchema, string predictedLabelColumn, string scoreColumn, IReadOnlyList<string> labelNames)
    {
        int classes = labelNames.Count;
        var names = new VBuffer<ReadOnlyMemory<char>>(classes, labelNames.Select(n => n.AsMemory()).ToArray());
        var namesType = new VectorDataViewType(TextDataViewType.Instance, classes);
        ValueGetter<VBuffer<ReadOnlyMemory<char>>> namesGetter = (ref VBuffer<ReadOnlyMemory<char>> dst) => names.CopyTo(ref dst);

        var keyAnnotations = new DataViewSchema.Annotations.Builder();
        keyAnnotations.Add(AnnotationUtils.Kinds.KeyValues, namesType, namesGetter);

        var scoreAnnotations = new DataViewSchema.Annotations.Builder();
        scoreAnnotations.Add(AnnotationUtils.Kinds.ScoreColumnKind, TextDataViewType.Instance,
            (ref ReadOnlyMemory<char> v) => v = AnnotationUtils.Const.ScoreColumnKind.MulticlassClassification.AsMemory());
        scoreAnnotations.Add(AnnotationUtils.Kinds.ScoreValueKind, TextDataViewType.Instance,
            (ref ReadOnlyMemory<char> v) => v = AnnotationUtils.Const.ScoreValueKind.Score.AsMemory());
        uint setId = checked(inputSchema.GetMaxAnnotationKind(out _, AnnotationUtils.Kinds.ScoreColumnSetId) + 1);
        scoreAnnotations.Add(AnnotationUtils.Kinds.ScoreColumnSetId, AnnotationUtils.ScoreColumnSetIdType, (ref uint v) => v = setId);
        scoreAnnotations.Add(AnnotationUtils.Kinds.SlotNames, namesType, namesGetter);
        scoreAnnotations.Add(AnnotationUtils.Kinds.TrainingLabelValues, namesType, namesGetter);

        return new[]
        {
            new DataViewSchema.DetachedColumn(predictedLabelColumn, new KeyDataViewType(typeof(uint), classes), keyAnnotations.ToAnnotations()),
            new DataViewSchema.DetachedColumn(scoreColumn, new VectorDataViewType(NumberDataViewType.Single, classes), scoreAnnotations.ToAnnotations()),
        };
    }

    /// <summary>The estimator-side shape of the same columns.</summary>
    public static SchemaShape OutputShape(SchemaShape inputSchema, SchemaShape.Column label, string predictedLabelColumn, string scoreColumn)
    {
        var columns = inputSchema.ToDictionary(c => c.Name);
        var keyValues = new SchemaShape.Column(AnnotationUtils.Kinds.KeyValues, SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false);
        columns[predictedLabelColumn] = new SchemaShape.Column(predictedLabelColumn, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true, new SchemaShape(new[] { keyValues }));
        columns[scoreColumn] = new SchemaShape.Column(scoreColumn, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false,
            new SchemaShape(AnnotationUtils.AnnotationsForMulticlassScoreColumn(label)));
        return new SchemaShape(columns.Values);
    }

    /// <summary>
    /// The getters of the two output columns (PredictedLabel, then Score; null where <paramref name="activeOutput"/> says the
    /// column is not needed), both reading the current row's class probabilities from <paramref name="probabilities"/>.
    /// </summary>
    public static Delegate[] Getters(Func<int, bool> activeOutput, Func<float[]> probabilities) =>
    [
        activeOutput(0) ? PredictedLabelGetter(probabilities) : null,
        activeOutput(1) ? ScoreGetter(probabilities) : null,
    ];

    /// <summary>PredictedLabel: the 1-based key of the most probable class.</summary>
    public static ValueGetter<uint> PredictedLabelGetter(Func<float[]> probabilities) =>
        (ref uint dst) => dst = (uint)Probabilities.ArgMax(probabilities()) + 1;

    /// <summary>Score: the class probabilities.</summary>
    public static ValueGetter<VBuffer<float>> ScoreGetter(Func<float[]> probabilities) => (ref VBuffer<float> dst) =>
    {
        var probs = probabilities();
        var editor = VBufferEditor.Create(ref dst, probs.Length);
        probs.CopyTo(editor.Values);
        dst = editor.Commit();
    };
}
