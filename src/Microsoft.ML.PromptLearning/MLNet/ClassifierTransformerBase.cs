using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.MLNet;
using Microsoft.ML.PromptLearning.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.PromptLearning;

/// <summary>
/// What every fitted classifier of this package shares, whatever computes its probabilities (one ERNIE network, or an
/// ensemble of them): batched scoring in <c>Transform</c> (many rows per forward pass, dynamically padded), per-row scoring for
/// <c>PredictionEngine</c>, and the PredictedLabel / Score output columns.
/// </summary>
public abstract class ClassifierTransformerBase : RowToRowTransformerBase, ITransformer, IDisposable
{
    private protected ClassifierTransformerBase(IHost host, ScoringSettings settings) : base(host)
    {
        Settings = settings;
    }

    internal ScoringSettings Settings { get; }

    /// <summary>What the self-training run that made this model did (teachers, generations); null otherwise and after loading from a zip.</summary>
    public SelfTrainingReport SelfTrainingReport { get; internal set; }

    /// <summary>Class names in score order.</summary>
    public IReadOnlyList<string> LabelNames => Settings.LabelNames;

    /// <summary>Class probabilities for several texts, scored in length-sorted, dynamically padded batches.</summary>
    public float[][] PredictProbabilities(IReadOnlyList<string> texts, IReadOnlyList<string> textPairs = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return Score(texts.Select((t, i) => new TextRow(t, textPairs?[i], -1)).ToList());
    }

    /// <summary>Class probabilities of <paramref name="rows"/>, in input order.</summary>
    internal abstract float[][] Score(IReadOnlyList<TextRow> rows);

    /// <summary>Scores <paramref name="input"/> in batches; the result has the input columns plus PredictedLabel and Score.</summary>
    public new IDataView Transform(IDataView input)
    {
        Host.CheckValue(input, nameof(input));
        InputColumns.CheckScoringSchema(Host, input.Schema, Settings.TextColumn, Settings.TextPairColumn);
        var outputs = ScoreSchema.OutputColumns(input.Schema, Settings);
        return new BatchedScoringDataView(input, outputs, Settings, Score, Math.Max(256, Settings.EvalBatchSize * 8));
    }

    IDataView ITransformer.Transform(IDataView input) => Transform(input);

    /// <summary>The per-row mapper ML.NET uses for <c>PredictionEngine</c> and row-by-row pipelines.</summary>
    public override IRowMapper MakeRowMapper(DataViewSchema schema) => new RowMapper(this, schema);

    /// <summary>Releases the native tensors of the model.</summary>
    public abstract void Dispose();

    /// <summary>Per-row scoring used by PredictionEngine and by ML.NET when it maps rows one at a time.</summary>
    private sealed class RowMapper : MapperBase
    {
        private readonly ClassifierTransformerBase parent;
        private readonly int textIndex;
        private readonly int pairIndex = -1;

        public RowMapper(ClassifierTransformerBase parent, DataViewSchema schema)
            : base(parent.Host.Register(nameof(RowMapper)), schema, parent)
        {
            this.parent = parent;
            InputColumns.CheckScoringSchema(Host, schema, parent.Settings.TextColumn, parent.Settings.TextPairColumn);
            textIndex = schema[parent.Settings.TextColumn].Index;
            if (!string.IsNullOrEmpty(parent.Settings.TextPairColumn)) pairIndex = schema[parent.Settings.TextPairColumn].Index;
        }

        public override DataViewSchema.DetachedColumn[] GetOutputColumnsCore() =>
            ScoreSchema.OutputColumns(InputSchema, parent.Settings);

        public override Delegate[] CreateGetters(DataViewRow input, Func<int, bool> activeOutput, out Action disposer)
        {
            var read = InputColumns.TextGetter(input, textIndex, pairIndex);
            var probabilities = RowCache.PerRow(input, () => parent.Score([read()])[0]);
            disposer = null;
            return ScoreSchema.Getters(activeOutput, probabilities, parent.Settings);
        }

        public override Delegate MakeGetter(DataViewRow input, int iinfo, Func<int, bool> activeOutput, out Action disposer) =>
            throw new NotSupportedException("Getters are created together in CreateGetters.");

        public override Func<int, bool> GetDependenciesCore(Func<int, bool> activeOutput) =>
            col => (activeOutput(0) || activeOutput(1)) && (col == textIndex || col == pairIndex);

        public override void SaveModel(ModelSaveContext ctx) => parent.SaveModel(ctx);
    }
}
