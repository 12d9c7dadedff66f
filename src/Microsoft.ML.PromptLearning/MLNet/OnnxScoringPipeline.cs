using System.Text;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.MLNet;
using Microsoft.ML.PromptLearning.Onnx;
using Microsoft.ML.PromptLearning.Onnx.Proto;
using Microsoft.ML.PromptLearning.Tokenization;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.Runtime;

[assembly: LoadableClass(typeof(OnnxTextEncodingTransformer), null, typeof(SignatureLoadModel), "ERNIE ONNX text encoding", OnnxTextEncodingTransformer.LoaderSignature)]
[assembly: LoadableClass(typeof(IRowMapper), typeof(OnnxTextEncodingTransformer), null, typeof(SignatureLoadRowMapper), "ERNIE ONNX text encoding", OnnxTextEncodingTransformer.LoaderSignature)]
[assembly: LoadableClass(typeof(OnnxProbabilitiesTransformer), null, typeof(SignatureLoadModel), "ERNIE ONNX probabilities", OnnxProbabilitiesTransformer.LoaderSignature)]
[assembly: LoadableClass(typeof(IRowMapper), typeof(OnnxProbabilitiesTransformer), null, typeof(SignatureLoadRowMapper), "ERNIE ONNX probabilities", OnnxProbabilitiesTransformer.LoaderSignature)]

namespace Microsoft.ML.PromptLearning.Onnx;

/// <summary>
/// An ML.NET scoring pipeline around an exported ONNX model: text encoding (our tokenizer, as a saveable transform) →
/// <c>ApplyOnnxModel</c> → Score (probabilities) and PredictedLabel (key with the label names). It saves into and loads
/// from an ordinary model zip (the ONNX bytes are embedded) and needs no TorchSharp at scoring time.
/// </summary>
/// <remarks>
/// ML.NET's ONNX transform runs one ONNX Runtime call per row (batch 1), so this route is for pipelines that must stay
/// ML.NET-shaped; for throughput use <see cref="OnnxPredictor"/> (length-bucketed batches) or the TorchSharp transformer.
/// </remarks>
public static class OnnxScoringPipeline
{
    /// <summary>Exports <paramref name="transformer"/> to ONNX and wraps it in an ML.NET pipeline with the same input and output columns.</summary>
    public static TransformerChain<ITransformer> ToOnnxScoringPipeline(this ErnieClassifierTransformerBase transformer, MLContext mlContext, OnnxExportOptions options = null)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        var model = transformer.BuildOnnx(options);
        return Create(mlContext, model, Google.Protobuf.MessageExtensions.ToByteArray(model), "the exported model");
    }

    /// <summary>Builds the pipeline from a model file written by <see cref="OnnxExport.ExportToOnnx(ErnieClassifierTransformerBase, string, OnnxExportOptions)"/>.</summary>
    public static TransformerChain<ITransformer> FromOnnxModel(MLContext mlContext, string onnxPath)
    {
        if (!File.Exists(onnxPath)) throw new FileNotFoundException($"ONNX model '{onnxPath}' does not exist.", onnxPath);
        var bytes = File.ReadAllBytes(onnxPath);
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(bytes); }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'{onnxPath}' is not an ONNX model ({e.Message}). If it is truncated or damaged, export it again " +
                                           "(transformer.ExportToOnnx or prompt-learn export); a model zip is loaded with mlContext.Model.LoadPromptModel instead.", e);
        }
        return Create(mlContext, model, bytes, $"'{onnxPath}'");
    }

    private static TransformerChain<ITransformer> Create(MLContext mlContext, ModelProto model, byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        var env = (IHostEnvironment)mlContext;
        var map = new Dictionary<string, string>();
        foreach (var p in model.MetadataProps) map[p.Key] = p.Value;   // a repeated key: the last one, as ONNX Runtime does
        var metadata = OnnxModelMetadata.Read(map, source);
        if (model.Graph is null) throw new InvalidDataException($"{source} has no graph. The file is damaged; export the model again.");
        if (metadata.Thresholds is not null)
            throw new NotSupportedException($"{source} is a multi-label model, and the ONNX scoring pipeline gives one PredictedLabel per row; score it with OnnxPredictor.PredictLabelSets.");
        var initializers = model.Graph.Initializer.Select(i => i.Name).ToHashSet();
        var inputs = model.Graph.Input.Select(i => i.Name).Where(n => !initializers.Contains(n)).ToArray();
        OnnxTextEncodingTransformer encoding;
        try { encoding = new OnnxTextEncodingTransformer(env, map, inputs); }
        catch (Exception e) when (e is InvalidDataException or FormatException or System.Text.Json.JsonException)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }

        // ApplyOnnxModel is fitted on the schema the encoding produces (it reads no rows).
        var empty = encoding.Transform(EmptyTextData(mlContext, metadata));
        using var stream = new MemoryStream(bytes, writable: false);
        ITransformer onnx;
        try
        {
            onnx = mlContext.Transforms.ApplyOnnxModel([ErnieOnnxGraph.ProbabilitiesOutput], inputs, stream,
                shapeDictionary: null, gpuDeviceId: null, fallbackToCpu: false, recursionLimit: 100).Fit(empty);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            throw new InvalidDataException($"{source}: ONNX Runtime cannot load its graph ({e.Message}). If it is truncated or damaged, export it again " +
                                           "(transformer.ExportToOnnx or prompt-learn export).", e);
        }
        var probabilities = new OnnxProbabilitiesTransformer(env, metadata.Labels, metadata.ScoreColumn, metadata.PredictedLabelColumn);
        var drop = mlContext.Transforms.DropColumns([.. inputs, ErnieOnnxGraph.ProbabilitiesOutput]).Fit(probabilities.Transform(onnx.Transform(empty)));
        return new TransformerChain<ITransformer>(encoding, onnx, probabilities, drop);
    }

    private static IDataView EmptyTextData(MLContext mlContext, OnnxModelMetadata metadata)
    {
        var builder = new ArrayDataViewBuilder((IHostEnvironment)mlContext);
        builder.AddColumn(metadata.TextColumn, TextDataViewType.Instance, Array.Empty<ReadOnlyMemory<char>>());
        if (metadata.TextPairColumn is not null) builder.AddColumn(metadata.TextPairColumn, TextDataViewType.Instance, Array.Empty<ReadOnlyMemory<char>>());
        return builder.GetDataView(0);
    }
}

/// <summary>Text (and optional pair) columns → the int64 input vectors of an exported ERNIE graph, one variable-length vector per input.</summary>
internal sealed class OnnxTextEncodingTransformer : RowToRowTransformerBase
{
    internal const string LoaderSignature = "ErnieOnnxTextEncoding";

    internal static VersionInfo GetVersionInfo() => new(
        modelSignature: "ERNIEENC", verWrittenCur: 0x00010001, verReadableCur: 0x00010001, verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature, loaderAssemblyName: typeof(OnnxTextEncodingTransformer).Assembly.FullName);

    private readonly Dictionary<string, string> metadataMap;
    private readonly OnnxModelMetadata metadata;
    private readonly InputEncoder encoder;
    private readonly string[] inputs;

    internal OnnxTextEncodingTransformer(IHostEnvironment env, IReadOnlyDictionary<string, string> metadataMap, string[] inputs)
        : base(env.Register(nameof(OnnxTextEncodingTransformer)))
    {
        // Keep what encoding needs; the model config and similar entries stay in the ONNX bytes.
        this.metadataMap = metadataMap.Where(kv => kv.Key != OnnxModelMetadata.ModelConfigKey).ToDictionary(kv => kv.Key, kv => kv.Value);
        metadata = OnnxModelMetadata.Read(this.metadataMap, "The ONNX model");
        var vocab = metadata.Vocab ?? throw Host.Except("The ONNX model was exported without its vocabulary; export it with EmbedVocabulary = true to use it in an ML.NET pipeline.");
        encoder = metadata.CreateInputEncoder(ErnieTokenizer.FromVocabText(vocab, metadata.DoLowerCase));
        this.inputs = inputs;
    }

    public override IRowMapper MakeRowMapper(DataViewSchema schema) => new Mapper(this, schema);

    public override void SaveModel(ModelSaveContext ctx)
    {
        Host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        ctx.Writer.Write(inputs.Length);
        foreach (var input in inputs) ctx.SaveNonEmptyString(input);
        ctx.SaveBinaryStream("Metadata.json", w => w.Write(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(metadataMap))));
    }

    private static OnnxTextEncodingTransformer Create(IHostEnvironment env, ModelLoadContext ctx) =>
        ModelZipFormat.Load(ctx, GetVersionInfo(), "ONNX text encoding", () => Load(env, ctx));

    private static OnnxTextEncodingTransformer Load(IHostEnvironment env, ModelLoadContext ctx)
    {
        var inputs = Enumerable.Range(0, ctx.Reader.ReadInt32()).Select(_ => ctx.LoadNonEmptyString()).ToArray();
        byte[] json = null;
        if (!ModelZipFormat.TryReadEntry(ctx, "Metadata.json", r => json = r.ReadBytes((int)r.BaseStream.Length)))
            throw env.ExceptDecode("The model zip lacks the ONNX text encoding's Metadata.json; it is damaged.");
        return new OnnxTextEncodingTransformer(env, JsonSerializer.Deserialize<Dictionary<string, string>>(json), inputs);
    }

    private static IRowMapper Create(IHostEnvironment env, ModelLoadContext ctx, DataViewSchema inputSchema) => Create(env, ctx).MakeRowMapper(inputSchema);

    private sealed class Mapper : MapperBase
    {
        private readonly OnnxTextEncodingTransformer parent;
        private readonly int textIndex;
        private readonly int pairIndex = -1;

        public Mapper(OnnxTextEncodingTransformer parent, DataViewSchema schema) : base(parent.Host.Register(nameof(Mapper)), schema, parent)
        {
            this.parent = parent;
            InputColumns.CheckScoringSchema(Host, schema, parent.metadata.TextColumn, parent.metadata.TextPairColumn);
            textIndex = schema[parent.metadata.TextColumn].Index;
            if (parent.metadata.TextPairColumn is not null) pairIndex = schema[parent.metadata.TextPairColumn].Index;
        }

        public override DataViewSchema.DetachedColumn[] GetOutputColumnsCore() =>
            parent.inputs.Select(n => new DataViewSchema.DetachedColumn(n, new VectorDataViewType(NumberDataViewType.Int64))).ToArray();

        public override Delegate[] CreateGetters(DataViewRow input, Func<int, bool> activeOutput, out Action disposer)
        {
            var read = InputColumns.TextGetter(input, textIndex, pairIndex);
            // A batch of one row (ApplyOnnxModel runs row by row): nothing is padded, so the pad id does not matter.
            var encoded = RowCache.PerRow(input, () => PaddedBatchArrays.Pad([parent.encoder.Encode(read())], padId: 0, allInputs: true));
            disposer = null;
            var getters = new Delegate[parent.inputs.Length];
            for (int i = 0; i < getters.Length; i++)
            {
                if (!activeOutput(i)) continue;
                string name = parent.inputs[i];
                getters[i] = (ValueGetter<VBuffer<long>>)((ref VBuffer<long> dst) =>
                {
                    var values = encoded().Input(name);
                    var editor = VBufferEditor.Create(ref dst, values.Length);
                    values.CopyTo(editor.Values);
                    dst = editor.Commit();
                });
            }
            return getters;
        }

        public override Delegate MakeGetter(DataViewRow input, int iinfo, Func<int, bool> activeOutput, out Action disposer) =>
            throw new NotSupportedException("Getters are created together in CreateGetters.");

        public override Func<int, bool> GetDependenciesCore(Func<int, bool> activeOutput)
        {
            bool any = Enumerable.Range(0, parent.inputs.Length).Any(activeOutput);
            return col => any && (col == textIndex || col == pairIndex);
        }

        public override void SaveModel(ModelSaveContext ctx) => parent.SaveModel(ctx);
    }
}

/// <summary>The <c>probabilities</c> output of the ONNX model → Score (with multiclass annotations) and PredictedLabel (key over the label names).</summary>
internal sealed class OnnxProbabilitiesTransformer : RowToRowTransformerBase
{
    internal const string LoaderSignature = "ErnieOnnxProbabilities";

    internal static VersionInfo GetVersionInfo() => new(
        modelSignature: "ERNIEPRB", verWrittenCur: 0x00010001, verReadableCur: 0x00010001, verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature, loaderAssemblyName: typeof(OnnxProbabilitiesTransformer).Assembly.FullName);

    private readonly string[] labels;
    private readonly string scoreColumn, predictedLabelColumn;

    internal OnnxProbabilitiesTransformer(IHostEnvironment env, string[] labels, string scoreColumn, string predictedLabelColumn)
        : base(env.Register(nameof(OnnxProbabilitiesTransformer)))
    {
        this.labels = labels;
        this.scoreColumn = scoreColumn;
        this.predictedLabelColumn = predictedLabelColumn;
    }

    public override IRowMapper MakeRowMapper(DataViewSchema schema) => new Mapper(this, schema);

    public override void SaveModel(ModelSaveContext ctx)
    {
        Host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        ctx.SaveNonEmptyString(scoreColumn);
        ctx.SaveNonEmptyString(predictedLabelColumn);
        ctx.Writer.Write(labels.Length);
        foreach (var l in labels) ctx.SaveString(l);
    }

    private static OnnxProbabilitiesTransformer Create(IHostEnvironment env, ModelLoadContext ctx) =>
        ModelZipFormat.Load(ctx, GetVersionInfo(), "ONNX probabilities", () => Load(env, ctx));

    private static OnnxProbabilitiesTransformer Load(IHostEnvironment env, ModelLoadContext ctx)
    {
        var score = ctx.LoadNonEmptyString();
        var predicted = ctx.LoadNonEmptyString();
        var labels = Enumerable.Range(0, ctx.Reader.ReadInt32()).Select(_ => ctx.LoadString()).ToArray();
        return new OnnxProbabilitiesTransformer(env, labels, score, predicted);
    }

    private static IRowMapper Create(IHostEnvironment env, ModelLoadContext ctx, DataViewSchema inputSchema) => Create(env, ctx).MakeRowMapper(inputSchema);

    private sealed class Mapper : MapperBase
    {
        private readonly OnnxProbabilitiesTransformer parent;
        private readonly int probabilitiesIndex;

        public Mapper(OnnxProbabilitiesTransformer parent, DataViewSchema schema) : base(parent.Host.Register(nameof(Mapper)), schema, parent)
        {
            this.parent = parent;
            if (schema.GetColumnOrNull(ErnieOnnxGraph.ProbabilitiesOutput) is not { } column)
                throw Host.ExceptSchemaMismatch(nameof(schema), "probabilities", ErnieOnnxGraph.ProbabilitiesOutput);
            probabilitiesIndex = column.Index;
        }

        public override DataViewSchema.DetachedColumn[] GetOutputColumnsCore() =>
            ScoreSchema.OutputColumns(InputSchema, parent.predictedLabelColumn, parent.scoreColumn, parent.labels);

        public override Delegate[] CreateGetters(DataViewRow input, Func<int, bool> activeOutput, out Action disposer)
        {
            var getter = input.GetGetter<VBuffer<float>>(input.Schema[probabilitiesIndex]);
            int classes = parent.labels.Length;
            VBuffer<float> buffer = default;
            var dense = new float[classes];
            var probabilities = RowCache.PerRow(input, () =>
            {
                getter(ref buffer);
                if (buffer.Length != classes) throw Host.Except($"The ONNX model returned {buffer.Length} probabilities per row; {classes} were expected.");
                buffer.CopyTo(dense);
                return dense;
            });
            disposer = null;
            return ScoreSchema.Getters(activeOutput, probabilities);
        }

        public override Delegate MakeGetter(DataViewRow input, int iinfo, Func<int, bool> activeOutput, out Action disposer) =>
            throw new NotSupportedException("Getters are created together in CreateGetters.");

        public override Func<int, bool> GetDependenciesCore(Func<int, bool> activeOutput) =>
            col => (activeOutput(0) || activeOutput(1)) && col == probabilitiesIndex;

        public override void SaveModel(ModelSaveContext ctx) => parent.SaveModel(ctx);
    }
}
