using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using TorchSharp;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.MLNet;
using Microsoft.ML.PromptLearning.Tokenization;
using Microsoft.ML.PromptLearning.Training;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning;

/// <summary>
/// Shared machinery of the fitted ERNIE classifiers: batched scoring (Transform scores many rows per forward pass with
/// dynamic padding), per-row scoring for PredictionEngine, and persistence inside an ordinary ML.NET model zip.
/// </summary>
public abstract class ErnieClassifierTransformerBase : RowToRowTransformerBase, ITransformer, IDisposable
{
    private protected ErnieClassifierTransformerBase(IHost host, ClassifierNet net, ErnieTokenizer tokenizer, ScoringSettings settings, TrainingReport report)
        : base(host)
    {
        Net = net;
        Tokenizer = tokenizer;
        Settings = settings;
        TrainingReport = report;
        Device = TorchDevice.Pick(host);
        Net.to(Device);
        Net.eval();
    }

    internal ClassifierNet Net { get; }
    internal ErnieTokenizer Tokenizer { get; }
    internal ScoringSettings Settings { get; }
    private protected Device Device { get; }

    /// <summary>How training went (steps, best validation accuracy, time, samples/s); null for a model loaded from a zip.</summary>
    public TrainingReport TrainingReport { get; }

    /// <summary>Class names in score order.</summary>
    public IReadOnlyList<string> LabelNames => Settings.LabelNames;

    /// <summary>Turns one row into model inputs.</summary>
    private protected abstract EncodedExample Encode(string text, string textPair);

    /// <summary>Class probabilities for several texts, scored in length-sorted, dynamically padded batches.</summary>
    public float[][] PredictProbabilities(IReadOnlyList<string> texts, IReadOnlyList<string> textPairs = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return Score(texts.Select((t, i) => new TextRow(t, textPairs?[i], -1)).ToList());
    }

    internal float[][] Score(IReadOnlyList<TextRow> rows)
    {
        if (rows.Count == 0) return [];
        var examples = rows.Select(r => Encode(r.Text ?? "", r.TextPair)).ToList();
        return ClassifierTrainingLoop.PredictProbabilities(Net, examples, Settings.EvalBatchSize, Device, Tokenizer.PadId);
    }

    /// <summary>Scores <paramref name="input"/> in batches; the result has the input columns plus PredictedLabel and Score.</summary>
    public new IDataView Transform(IDataView input)
    {
        Host.CheckValue(input, nameof(input));
        InputColumns.CheckScoringSchema(Host, input.Schema, Settings.TextColumn, Settings.TextPairColumn);
        var outputs = ScoreSchema.OutputColumns(input.Schema, Settings.PredictedLabelColumn, Settings.ScoreColumn, Settings.LabelNames);
        return new BatchedScoringDataView(input, outputs, Settings.TextColumn, Settings.TextPairColumn, Score, Math.Max(256, Settings.EvalBatchSize * 8));
    }

    IDataView ITransformer.Transform(IDataView input) => Transform(input);

    public override IRowMapper MakeRowMapper(DataViewSchema schema) => new RowMapper(this, schema);

    /// <summary>Releases the native tensors of the model.</summary>
    public void Dispose() => Net.Dispose();

    // ---- persistence --------------------------------------------------------------------------------------------

    private protected void SaveCommon(ModelSaveContext ctx)
    {
        ctx.SaveNonEmptyString(Settings.TextColumn);
        ctx.SaveStringOrNull(Settings.TextPairColumn);
        ctx.SaveNonEmptyString(Settings.ScoreColumn);
        ctx.SaveNonEmptyString(Settings.PredictedLabelColumn);
        ctx.Writer.Write(Settings.MaxSequenceLength);
        ctx.Writer.Write(Settings.EvalBatchSize);
        ctx.Writer.Write(Settings.LabelNames.Length);
        foreach (var name in Settings.LabelNames) ctx.SaveString(name);
        ctx.SaveBinaryStream("Plm/config.json", w => w.Write(Encoding.UTF8.GetBytes(Net.Plm.Config.ToJson().ToJsonString())));
        ctx.SaveBinaryStream("Plm/vocab.txt", w => w.Write(Encoding.UTF8.GetBytes(Tokenizer.VocabText)));
        var state = Net.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        ctx.SaveBinaryStream("Weights.safetensors", w => SafeTensors.Save(w.BaseStream, state));
    }

    internal sealed record CommonState(ScoringSettings Settings, ErnieConfig Config, ErnieTokenizer Tokenizer);

    internal static CommonState LoadCommon(IHostEnvironment env, ModelLoadContext ctx)
    {
        var settings = new ScoringSettings
        {
            TextColumn = ctx.LoadNonEmptyString(),
            TextPairColumn = ctx.LoadStringOrNull(),
            ScoreColumn = ctx.LoadNonEmptyString(),
            PredictedLabelColumn = ctx.LoadNonEmptyString(),
            MaxSequenceLength = ctx.Reader.ReadInt32(),
            EvalBatchSize = ctx.Reader.ReadInt32(),
            LabelNames = Enumerable.Range(0, ctx.Reader.ReadInt32()).Select(_ => ctx.LoadString()).ToArray(),
        };
        byte[] configBytes = null, vocabBytes = null;
        if (!ctx.TryLoadBinaryStream("Plm/config.json", r => configBytes = r.ReadBytes((int)r.BaseStream.Length)) ||
            !ctx.TryLoadBinaryStream("Plm/vocab.txt", r => vocabBytes = r.ReadBytes((int)r.BaseStream.Length)))
            throw env.ExceptDecode("The model zip lacks the language model's config.json or vocab.txt; it is damaged or not a model of this package.");
        var config = ErnieConfig.FromJson((JsonObject)JsonNode.Parse(configBytes));
        return new CommonState(settings, config, ErnieTokenizer.FromVocabText(Encoding.UTF8.GetString(vocabBytes)));
    }

    internal static void LoadWeights(IHostEnvironment env, ModelLoadContext ctx, ClassifierNet net)
    {
        Dictionary<string, Tensor> state = null;
        if (!ctx.TryLoadBinaryStream("Weights.safetensors", r => state = SafeTensors.Load(r.BaseStream, "Weights.safetensors in the model zip")))
            throw env.ExceptDecode("The model zip lacks Weights.safetensors; it is damaged.");
        try
        {
            var parameters = net.named_parameters().ToList();
            var missing = parameters.Where(p => !state.ContainsKey(p.name)).Select(p => p.name).ToList();
            var wrongShape = parameters.Where(p => state.TryGetValue(p.name, out var t) && !t.shape.SequenceEqual(p.parameter.shape)).Select(p => p.name).ToList();
            if (missing.Count > 0 || wrongShape.Count > 0)
                throw env.ExceptDecode($"The weights in the model zip do not fit the model (missing: {string.Join(", ", missing.Take(5))}; wrong shape: {string.Join(", ", wrongShape.Take(5))}).");
            using var noGrad = no_grad();
            foreach (var (name, p) in parameters) p.copy_(state[name]);
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>Per-row scoring used by PredictionEngine and by ML.NET when it maps rows one at a time.</summary>
    private sealed class RowMapper : MapperBase
    {
        private readonly ErnieClassifierTransformerBase parent;
        private readonly int textIndex;
        private readonly int pairIndex = -1;

        public RowMapper(ErnieClassifierTransformerBase parent, DataViewSchema schema)
            : base(parent.Host.Register(nameof(RowMapper)), schema, parent)
        {
            this.parent = parent;
            InputColumns.CheckScoringSchema(Host, schema, parent.Settings.TextColumn, parent.Settings.TextPairColumn);
            textIndex = schema[parent.Settings.TextColumn].Index;
            if (!string.IsNullOrEmpty(parent.Settings.TextPairColumn)) pairIndex = schema[parent.Settings.TextPairColumn].Index;
        }

        public override DataViewSchema.DetachedColumn[] GetOutputColumnsCore() =>
            ScoreSchema.OutputColumns(InputSchema, parent.Settings.PredictedLabelColumn, parent.Settings.ScoreColumn, parent.Settings.LabelNames);

        public override Delegate[] CreateGetters(DataViewRow input, Func<int, bool> activeOutput, out Action disposer)
        {
            var textGetter = input.GetGetter<ReadOnlyMemory<char>>(input.Schema[textIndex]);
            var pairGetter = pairIndex >= 0 ? input.GetGetter<ReadOnlyMemory<char>>(input.Schema[pairIndex]) : null;
            long cachedPosition = -1;
            float[] probs = null;
            ReadOnlyMemory<char> text = default, pair = default;
            void Ensure()
            {
                if (cachedPosition == input.Position && probs is not null) return;
                textGetter(ref text);
                pairGetter?.Invoke(ref pair);
                probs = parent.Score(new[] { new TextRow(text.ToString(), pairGetter is null ? null : pair.ToString(), -1) })[0];
                cachedPosition = input.Position;
            }
            disposer = null;
            var getters = new Delegate[2];
            if (activeOutput(0)) getters[0] = (ValueGetter<uint>)((ref uint dst) => { Ensure(); dst = (uint)ClassifierTrainingLoop.ArgMax(probs) + 1; });
            if (activeOutput(1)) getters[1] = (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) =>
            {
                Ensure();
                var editor = VBufferEditor.Create(ref dst, probs.Length);
                probs.CopyTo(editor.Values);
                dst = editor.Commit();
            });
            return getters;
        }

        public override Delegate MakeGetter(DataViewRow input, int iinfo, Func<int, bool> activeOutput, out Action disposer) =>
            throw new NotSupportedException("Getters are created together in CreateGetters.");

        public override Func<int, bool> GetDependenciesCore(Func<int, bool> activeOutput) =>
            col => (activeOutput(0) || activeOutput(1)) && (col == textIndex || col == pairIndex);

        public override void SaveModel(ModelSaveContext ctx) => parent.SaveModel(ctx);
    }
}
