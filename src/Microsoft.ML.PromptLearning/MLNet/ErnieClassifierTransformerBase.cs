using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using TorchSharp;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.MLNet;
using Microsoft.ML.PromptLearning.Onnx;
using Microsoft.ML.PromptLearning.Onnx.Proto;
using Microsoft.ML.PromptLearning.Tokenization;
using Microsoft.ML.PromptLearning.Training;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning;

/// <summary>
/// A fitted classifier made of one ERNIE network (the prompt model or the fine-tune baseline): scores with TorchSharp or
/// with an ONNX Runtime session built in memory from the same weights (<see cref="ScoringEngine"/>), and persists its
/// configuration, vocabulary, weights and scoring choice inside an ordinary ML.NET model zip.
/// </summary>
public abstract class ErnieClassifierTransformerBase : ClassifierTransformerBase
{
    private const string ScoringFile = "Scoring.json";
    private readonly object scoringLock = new();
    private readonly Dictionary<ScoringPrecision, OnnxRuntimeSession> sessions = new();   // one per precision, made on first use
    private ErnieClassifierTransformerBase bfloat16Copy;                                     // its network runs in bfloat16

    private protected ErnieClassifierTransformerBase(IHost host, ClassifierNet net, ErnieTokenizer tokenizer, InputEncoder encoder, ScoringSettings settings, TrainingReport report)
        : base(host, settings)
    {
        Net = net;
        Tokenizer = tokenizer;
        Encoder = encoder;
        TrainingReport = report;
        Device = HostDevice.Pick(host);
        Net.to(Device);
        Net.eval();
        ScoringEngine = settings.Engine;
        ScoringPrecision = settings.Precision;
    }

    /// <summary>
    /// What <c>Transform</c>, <c>PredictionEngine</c> and <see cref="ClassifierTransformerBase.PredictProbabilities"/> score with;
    /// saved with the model. <see cref="ScoringEngine.OnnxRuntime"/> builds its session from the weights on the first scoring
    /// call that needs it (in memory, no file) and keeps it, one per precision, until the model is disposed.
    /// </summary>
    public ScoringEngine ScoringEngine { get; set; }

    /// <summary>
    /// Precision of scoring: <see cref="ScoringPrecision.Int8"/> needs <see cref="ScoringEngine.OnnxRuntime"/>,
    /// <see cref="ScoringPrecision.BFloat16"/> needs <see cref="ScoringEngine.TorchSharp"/>. Saved with the model.
    /// </summary>
    public ScoringPrecision ScoringPrecision { get; set; }

    /// <summary>
    /// Share of the validation rows whose predicted class (label set, for multi-label models) the reduced-precision scoring (<see cref="ScoringPrecision.Int8"/> or
    /// <see cref="ScoringPrecision.BFloat16"/>) keeps against float32 TorchSharp, measured when the model was trained with
    /// that precision and a validation set; NaN otherwise.
    /// </summary>
    public double ValidationAgreementWithFloat32 { get; private set; } = double.NaN;

    /// <summary>
    /// The ONNX Runtime session of <paramref name="p"/>, made on first use. The weights of a fitted model do not change, so a
    /// session stays valid (and is never disposed under a thread that scores with it) until the model is disposed.
    /// </summary>
    private OnnxRuntimeSession OnnxSession(ScoringPrecision p)
    {
        lock (scoringLock)
        {
            if (!sessions.TryGetValue(p, out var s))
                sessions[p] = s = new OnnxRuntimeSession(o => Google.Protobuf.MessageExtensions.ToByteArray(BuildOnnx(o)), p, Settings.EvalBatchSize, Device);
            return s;
        }
    }

    /// <summary>
    /// Measures <see cref="ValidationAgreementWithFloat32"/> on <paramref name="validation"/> when this model scores in a
    /// reduced precision: its predicted classes against float32 TorchSharp.
    /// </summary>
    internal void MeasurePrecisionAgreement(IReadOnlyList<EncodedExample> validation)
    {
        if (ScoringPrecision == ScoringPrecision.Float32 || validation is not { Count: > 0 }) return;
        var exact = TorchScoring.PredictProbabilities(Net, validation, Settings.EvalBatchSize, Device, Tokenizer.PadId, Settings.Activation);
        var reduced = Score(validation, ScoringEngine, ScoringPrecision);
        bool SamePrediction(float[] a, float[] b) => Settings.MultiLabel
            ? MultiLabelScoring.Decide(Settings, a).SequenceEqual(MultiLabelScoring.Decide(Settings, b))
            : Probabilities.ArgMax(a) == Probabilities.ArgMax(b);
        ValidationAgreementWithFloat32 = (double)exact.Where((p, i) => SamePrediction(p, reduced[i])).Count() / validation.Count;
        using var ch = Host.Start("Scoring precision");
        ch.Info($"{ScoringPrecision} scoring ({ScoringEngine}) keeps the float32 prediction of {ValidationAgreementWithFloat32:P2} of the {validation.Count} validation rows");
    }

    /// <summary>A bfloat16 copy of this model (saved and loaded in memory, then converted), made on first use.</summary>
    private ClassifierNet BFloat16Net()
    {
        lock (scoringLock)
        {
            if (bfloat16Copy is null)
            {
                var ml = new MLContext();
                using var stream = new MemoryStream();
                ml.Model.Save(this, null, stream);
                stream.Position = 0;
                var copy = (ErnieClassifierTransformerBase)ml.Model.Load(stream, out _);
                copy.Net.to(ScalarType.BFloat16).to(Device);
                copy.Net.eval();
                bfloat16Copy = copy;
            }
            return bfloat16Copy.Net;
        }
    }

    internal ClassifierNet Net { get; }
    internal ErnieTokenizer Tokenizer { get; }
    /// <summary>Turns a row into the network's inputs, as in training.</summary>
    internal InputEncoder Encoder { get; }
    private protected Device Device { get; }

    /// <summary>How training went (steps, best validation accuracy, time, samples/s); null for a model loaded from a zip.</summary>
    public TrainingReport TrainingReport { get; }

    internal override float[][] Score(IReadOnlyList<TextRow> rows)
    {
        if (rows.Count == 0) return [];
        var (e, p) = (ScoringEngine, ScoringPrecision);   // one consistent choice even if another thread changes it meanwhile
        return Score(rows.Select(r => Encoder.Encode(r)).ToList(), e, p);
    }

    private float[][] Score(IReadOnlyList<EncodedExample> examples, ScoringEngine e, ScoringPrecision p)
    {
        if (p == ScoringPrecision.Int8 && e != ScoringEngine.OnnxRuntime)
            throw Host.Except("Int8 scoring runs on ONNX Runtime: set ScoringEngine = ScoringEngine.OnnxRuntime (or ScoringPrecision = Float32).");
        if (p == ScoringPrecision.BFloat16 && e != ScoringEngine.TorchSharp)
            throw Host.Except("BFloat16 scoring runs on TorchSharp: set ScoringEngine = ScoringEngine.TorchSharp (or ScoringPrecision = Float32 or Int8).");
        if (e == ScoringEngine.OnnxRuntime) return OnnxSession(p).Run(examples);
        var net = p == ScoringPrecision.BFloat16 ? BFloat16Net() : Net;
        return TorchScoring.PredictProbabilities(net, examples, Settings.EvalBatchSize, Device, Tokenizer.PadId, Settings.Activation);
    }

    /// <summary>The ONNX head that reproduces this model's network on top of the exported encoder (the one ONNX extension point of a model kind).</summary>
    private protected abstract OnnxClassifierHead CreateOnnxHead();

    /// <summary>The ONNX model of this classifier (see <see cref="OnnxExport"/>).</summary>
    internal ModelProto BuildOnnx(OnnxExportOptions options) => ErnieOnnxExporter.Build(Net, CreateOnnxHead(), Tokenizer, Settings, options);

    /// <summary>Releases the native tensors of the model and its ONNX Runtime sessions.</summary>
    public override void Dispose()
    {
        lock (scoringLock)
        {
            foreach (var s in sessions.Values) s.Dispose();
            sessions.Clear();
            bfloat16Copy?.Dispose();
            bfloat16Copy = null;
        }
        Net.Dispose();
    }

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
        MultiLabelScoring.Save(ctx, Settings);
        var state = Net.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        ctx.SaveBinaryStream("Weights.safetensors", w => SafeTensors.Save(w.BaseStream, state));
        var scoring = new JsonObject { ["engine"] = ScoringEngine.ToString(), ["precision"] = ScoringPrecision.ToString() };
        ctx.SaveBinaryStream(ScoringFile, w => w.Write(Encoding.UTF8.GetBytes(scoring.ToJsonString())));
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
        settings = LoadScoring(env, ctx, settings);
        byte[] configBytes = null, vocabBytes = null;
        if (!ModelZipFormat.TryReadEntry(ctx, "Plm/config.json", r => configBytes = r.ReadBytes((int)r.BaseStream.Length)) ||
            !ModelZipFormat.TryReadEntry(ctx, "Plm/vocab.txt", r => vocabBytes = r.ReadBytes((int)r.BaseStream.Length)))
            throw env.ExceptDecode("The model zip lacks the language model's config.json or vocab.txt; it is damaged or not a model of this package.");
        settings = MultiLabelScoring.Load(env, ctx, settings);
        var config = ErnieConfig.FromJson((JsonObject)JsonNode.Parse(configBytes));
        return new CommonState(settings, config, ErnieTokenizer.FromVocabText(Encoding.UTF8.GetString(vocabBytes)));
    }

    /// <summary>The scoring choice saved with the model; zips written before it existed score with TorchSharp.</summary>
    private static ScoringSettings LoadScoring(IHostEnvironment env, ModelLoadContext ctx, ScoringSettings settings)
    {
        byte[] bytes = null;
        if (!ctx.TryLoadBinaryStream(ScoringFile, r => bytes = r.ReadBytes((int)r.BaseStream.Length))) return settings;
        try
        {
            var json = JsonNode.Parse(bytes)?.AsObject() ?? throw new InvalidDataException("it is empty");
            var e = Enum.Parse<ScoringEngine>(json["engine"]?.GetValue<string>() ?? throw new InvalidDataException("it has no engine"));
            var p = Enum.Parse<ScoringPrecision>(json["precision"]?.GetValue<string>() ?? throw new InvalidDataException("it has no precision"));
            return settings with { Engine = e, Precision = p };
        }
        catch (Exception x) when (x is System.Text.Json.JsonException or InvalidDataException or ArgumentException or InvalidOperationException)
        {
            throw env.ExceptDecode($"{ScoringFile} in the model zip is damaged ({x.Message}); it should name the engine ({string.Join(", ", Enum.GetNames<ScoringEngine>())}) and precision ({string.Join(", ", Enum.GetNames<ScoringPrecision>())}).");
        }
    }

    internal static void LoadWeights(IHostEnvironment env, ModelLoadContext ctx, ClassifierNet net)
    {
        Dictionary<string, Tensor> state = null;
        if (!ModelZipFormat.TryReadEntry(ctx, "Weights.safetensors", r => state = SafeTensors.Load(r.BaseStream, "Weights.safetensors in the model zip")))
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
}
