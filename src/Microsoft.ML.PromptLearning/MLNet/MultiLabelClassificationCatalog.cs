using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.MLNet;
using Microsoft.ML.PromptLearning.MultiLabel;

namespace Microsoft.ML.PromptLearning;

/// <summary>Entry point of multi-label classification: <c>mlContext.MultiLabelClassification()</c>.</summary>
public static class MultiLabelClassificationExtensions
{
    /// <summary>
    /// Trainers, evaluation and cross-validation for multi-label and hierarchical classification (any set of labels per row),
    /// the counterpart of <c>mlContext.MulticlassClassification</c>.
    /// </summary>
    public static MultiLabelClassificationCatalog MultiLabelClassification(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return new MultiLabelClassificationCatalog(mlContext);
    }
}

/// <summary>One fold of <see cref="MultiLabelClassificationCatalog.CrossValidate"/>.</summary>
/// <param name="Model">The model trained on the other folds.</param>
/// <param name="Metrics">Its metrics on this fold.</param>
/// <param name="ScoredHoldOutSet">This fold, scored by the model.</param>
/// <param name="Fold">The fold index (0-based).</param>
public sealed record MultiLabelCrossValidationResult(ITransformer Model, MultiLabelClassificationMetrics Metrics, IDataView ScoredHoldOutSet, int Fold);

/// <summary>
/// Multi-label classification: each row has any set of labels (none included). The label column is a vector of keys, e.g.
/// <c>MapValueToKey("Label")</c> on a <c>string[]</c> column, or on a <c>"l1,l2"</c> text column split with
/// <c>TokenizeIntoWords("Label", separators: new[] { ',' })</c>. The trainers output <c>Score</c> (one sigmoid probability
/// per label) and <c>PredictedLabels</c> (the keys of the labels above their thresholds; for <c>A##B</c> label trees,
/// completed with their ancestors).
/// </summary>
public sealed class MultiLabelClassificationCatalog
{
    private readonly MLContext ml;

    internal MultiLabelClassificationCatalog(MLContext ml)
    {
        this.ml = ml;
        Trainers = new MultiLabelClassificationTrainers(ml);
    }

    /// <summary>The multi-label trainers.</summary>
    public MultiLabelClassificationTrainers Trainers { get; }

    /// <summary>
    /// Micro/macro precision, recall and F1, per-label figures, subset accuracy and Hamming loss of scored data, over every
    /// label of the key (also those the data lacks); per level when the labels form an <c>A##B</c> tree.
    /// </summary>
    /// <param name="data">Scored data (the output of a multi-label model's <c>Transform</c>).</param>
    /// <param name="labelColumnName">The true labels: a vector of keys.</param>
    /// <param name="predictedLabelsColumnName">The predicted labels: a vector of keys with the same key count.</param>
    /// <param name="hierarchical">Report per-level figures; null = when some label contains <c>##</c>.</param>
    public MultiLabelClassificationMetrics Evaluate(IDataView data, string labelColumnName = "Label", string predictedLabelsColumnName = "PredictedLabels", bool? hierarchical = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var label = Column(data, labelColumnName, "label");
        var predicted = Column(data, predictedLabelsColumnName, "predicted labels");
        int count = InputColumns.KeyCount(predicted.Type);
        if (InputColumns.KeyCount(label.Type) != count)
            throw new ArgumentException($"The label column '{labelColumnName}' has {InputColumns.KeyCount(label.Type)} keys but '{predictedLabelsColumnName}' has {count}; map the labels with the key map the model was trained with.");
        var names = InputColumns.LabelNames(predicted);
        var gold = new List<IReadOnlyCollection<int>>();
        var guess = new List<IReadOnlyCollection<int>>();
        using (var cursor = data.GetRowCursor(new[] { label, predicted }))
        {
            var goldGetter = cursor.GetGetter<VBuffer<uint>>(label);
            var guessGetter = cursor.GetGetter<VBuffer<uint>>(predicted);
            VBuffer<uint> g = default, p = default;
            while (cursor.MoveNext())
            {
                goldGetter(ref g);
                guessGetter(ref p);
                gold.Add(Indices(g));
                guess.Add(Indices(p));
            }
        }
        var tree = hierarchical ?? LabelHierarchy.IsHierarchical(names) ? LabelHierarchy.Create(names) : null;
        return MultiLabelClassificationMetrics.Compute(gold, guess, names, tree);
    }

    /// <summary>
    /// Trains <paramref name="estimator"/> on all folds but one and evaluates it on that one, for every fold (the counterpart of
    /// <c>MulticlassClassification.CrossValidate</c>).
    /// </summary>
    public IReadOnlyList<MultiLabelCrossValidationResult> CrossValidate(IDataView data, IEstimator<ITransformer> estimator, int numberOfFolds = 5,
        string labelColumnName = "Label", string predictedLabelsColumnName = "PredictedLabels", int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(estimator);
        if (numberOfFolds < 2) throw new ArgumentOutOfRangeException(nameof(numberOfFolds), numberOfFolds, "Cross-validation needs at least 2 folds.");
        var results = new List<MultiLabelCrossValidationResult>();
        var folds = ml.Data.CrossValidationSplit(data, numberOfFolds, seed: seed);
        for (int fold = 0; fold < folds.Count; fold++)
        {
            var model = estimator.Fit(folds[fold].TrainSet);
            var scored = model.Transform(folds[fold].TestSet);
            results.Add(new MultiLabelCrossValidationResult(model, Evaluate(scored, labelColumnName, predictedLabelsColumnName), scored, fold));
        }
        return results;
    }

    private static DataViewSchema.Column Column(IDataView data, string name, string role)
    {
        var column = data.Schema.GetColumnOrNull(name) ?? throw new ArgumentException($"The {role} column '{name}' is not in the data.");
        if (column.Type is not VectorDataViewType { ItemType: KeyDataViewType })
            throw new ArgumentException($"The {role} column '{name}' must be a vector of keys, not {column.Type}.");
        return column;
    }

    private static int[] Indices(VBuffer<uint> keys) => keys.DenseValues().Where(k => k > 0).Select(k => (int)k - 1).Distinct().ToArray();

    /// <summary>The multi-label trainers: prompt learning and the fine-tune baseline.</summary>
    public sealed class MultiLabelClassificationTrainers
    {
        private readonly MLContext ml;

        internal MultiLabelClassificationTrainers(MLContext ml) => this.ml = ml;

        /// <summary>
        /// Multi-label prompt learning (PaddleNLP's multi-label and hierarchical few-shot recipe): the text is wrapped in
        /// <paramref name="prompt"/>, the soft verbalizer gives one logit per label at the [MASK] slot (its rows start from the
        /// label words), and training minimises BCEWithLogits.
        /// </summary>
        /// <param name="labelWords">Label name → label words (e.g. "DV1" → ["婚后有子女"]).</param>
        /// <param name="prompt">Bare prompt (e.g. "这句话包含的要素有") or a PaddleNLP template; null = <c>{'soft'}{'text':'text_a'}{'mask'}</c>.</param>
        /// <param name="labelColumnName">Vector-of-keys label column.</param>
        /// <param name="textColumnName">Text column.</param>
        /// <param name="modelPath">Pretrained model folder; null = the bundled model.</param>
        /// <param name="maxSteps">Training steps (≤ 0: <paramref name="numberOfEpochs"/> epochs).</param>
        /// <param name="numberOfEpochs">Epochs when <paramref name="maxSteps"/> is not set.</param>
        public PromptErnieTrainer PromptErnie(IDictionary<string, string[]> labelWords, string prompt = null, string labelColumnName = "Label",
            string textColumnName = "Text", string modelPath = null, int maxSteps = -1, int numberOfEpochs = 10)
            => PromptErnie(new PromptErnieTrainer.Options
            {
                LabelWords = labelWords, Prompt = prompt, LabelColumnName = labelColumnName, TextColumnName = textColumnName,
                ModelPath = modelPath, MaxSteps = maxSteps, NumberOfEpochs = numberOfEpochs,
            });

        /// <summary>Multi-label prompt learning with every option.</summary>
        /// <param name="options">The prompt-learning options (the verbalizer must be <see cref="PromptVerbalizerKind.Soft"/>).</param>
        /// <param name="multiLabel">Thresholds and the label tree; null = defaults.</param>
        public PromptErnieTrainer PromptErnie(PromptErnieTrainer.Options options, MultiLabelOptions multiLabel = null)
            => new(ml, options) { MultiLabel = multiLabel ?? new MultiLabelOptions() };

        /// <summary>Multi-label fine-tuning: a linear layer with one logit per label on the pooled text, trained with BCEWithLogits.</summary>
        /// <param name="labelColumnName">Vector-of-keys label column.</param>
        /// <param name="textColumnName">Text column.</param>
        /// <param name="modelPath">Pretrained model folder; null = the bundled model.</param>
        /// <param name="maxSteps">Training steps (≤ 0: <paramref name="numberOfEpochs"/> epochs).</param>
        /// <param name="numberOfEpochs">Epochs when <paramref name="maxSteps"/> is not set.</param>
        public ErnieTextClassificationTrainer ErnieTextClassification(string labelColumnName = "Label", string textColumnName = "Text", string modelPath = null,
            int maxSteps = -1, int numberOfEpochs = 10)
            => ErnieTextClassification(new ErnieTextClassificationTrainer.Options
            {
                LabelColumnName = labelColumnName, TextColumnName = textColumnName, ModelPath = modelPath, MaxSteps = maxSteps, NumberOfEpochs = numberOfEpochs,
            });

        /// <summary>Multi-label fine-tuning with every option.</summary>
        /// <param name="options">The fine-tuning options.</param>
        /// <param name="multiLabel">Thresholds and the label tree; null = defaults.</param>
        public ErnieTextClassificationTrainer ErnieTextClassification(ErnieTextClassificationTrainer.Options options, MultiLabelOptions multiLabel = null)
            => new(ml, options) { MultiLabel = multiLabel ?? new MultiLabelOptions() };
    }
}
