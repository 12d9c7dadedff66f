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
/// A fitted classifier made of one ERNIE network (the prompt model or the fine-tune baseline): scores with TorchSharp and
/// persists its configuration, vocabulary and weights inside an ordinary ML.NET model zip.
/// </summary>
public abstract class ErnieClassifierTransformerBase : ClassifierTransformerBase
{
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
    }

    internal ClassifierNet Net { get; }
    internal ErnieTokenizer Tokenizer { get; }
    /// <summary>Turns a row into the network's inputs, as in training.</summary>
    internal InputEncoder Encoder { get; }
    private protected Device Device { get; }

    /// <summary>How training went (steps, best validation accuracy, time, samples/s); null for a model loaded from a zip.</summary>
    public TrainingReport TrainingReport { get; }

    internal override float[][] Score(IReadOnlyList<TextRow> rows) =>
        rows.Count == 0 ? [] : TorchScoring.PredictProbabilities(Net, rows.Select(r => Encoder.Encode(r)).ToList(), Settings.EvalBatchSize, Device, Tokenizer.PadId, Settings.Activation);

    /// <summary>The ONNX head that reproduces this model's network on top of the exported encoder (the one ONNX extension point of a model kind).</summary>
    private protected abstract OnnxClassifierHead CreateOnnxHead();

    /// <summary>The ONNX model of this classifier (see <see cref="OnnxExport"/>).</summary>
    internal ModelProto BuildOnnx(OnnxExportOptions options) => ErnieOnnxExporter.Build(Net, CreateOnnxHead(), Tokenizer, Settings, options);

    /// <summary>Releases the native tensors of the model.</summary>
    public override void Dispose() => Net.Dispose();

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
        if (!ModelZipFormat.TryReadEntry(ctx, "Plm/config.json", r => configBytes = r.ReadBytes((int)r.BaseStream.Length)) ||
            !ModelZipFormat.TryReadEntry(ctx, "Plm/vocab.txt", r => vocabBytes = r.ReadBytes((int)r.BaseStream.Length)))
            throw env.ExceptDecode("The model zip lacks the language model's config.json or vocab.txt; it is damaged or not a model of this package.");
        settings = MultiLabelScoring.Load(env, ctx, settings);
        var config = ErnieConfig.FromJson((JsonObject)JsonNode.Parse(configBytes));
        return new CommonState(settings, config, ErnieTokenizer.FromVocabText(Encoding.UTF8.GetString(vocabBytes)));
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
