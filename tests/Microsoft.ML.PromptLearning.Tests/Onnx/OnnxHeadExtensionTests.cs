using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Onnx;
using Microsoft.ML.PromptLearning.Tokenization;
using Microsoft.ML.PromptLearning.Training;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static Microsoft.ML.PromptLearning.Tests.Onnx.OnnxTestModels;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.Onnx;

/// <summary>
/// A cloze classifier written the way a prompt model plugs into the exporter: its network implements
/// <see cref="IOnnxExportableClassifier"/>, its head asks for position_ids and mask_positions and is built from
/// <see cref="ErnieOnnxGraph.GatherAtMasks"/>, <see cref="ErnieOnnxGraph.MlmTransform"/> and <see cref="ErnieOnnxGraph.MlmDecoder"/>.
/// Class c's score = Σ_m MLM logit of the m-th character of its label word at the m-th [MASK].
/// </summary>
internal sealed class ClozeTestClassifier : ClassifierNet, IOnnxExportableClassifier
{
    private readonly ErnieForMaskedLM plm;
    private readonly int[][] labelTokens;   // [C][M]

    public ClozeTestClassifier(ErnieForMaskedLM plm, int[][] labelTokens) : base(nameof(ClozeTestClassifier))
    {
        this.plm = plm;
        this.labelTokens = labelTokens;
        RegisterComponents();
    }

    public override ErnieForMaskedLM Plm => plm;
    public override int ClassCount => labelTokens.Length;
    public override IEnumerable<(string Name, Parameter Parameter)> HeadParameters() => [];

    public override ClassifierOutput Forward(ClassifierBatch batch)
    {
        var hidden = plm.Encode(new ErnieInputs
        {
            InputIds = batch.InputIds, TokenTypeIds = batch.TokenTypeIds, PositionIds = batch.PositionIds, AttentionMask = batch.AttentionMask,
        }).LastHiddenState;                                                                                       // [B, T, H]
        var maskHidden = hidden.gather(1, batch.MaskPositions.unsqueeze(-1).expand(-1, -1, hidden.shape[2]));   // [B, M, H]
        var vocabLogits = plm.Head.forward(maskHidden);                                                          // [B, M, V]
        int m = labelTokens[0].Length;
        var scores = Enumerable.Range(0, m)
            .Select(j => vocabLogits.select(1, j).index_select(1, tensor(labelTokens.Select(w => (long)w[j]).ToArray())))   // [B, C]
            .Aggregate((a, b) => a + b);
        return new ClassifierOutput(scores, maskHidden.select(1, 0), maskHidden);
    }

    public OnnxClassifierHead CreateOnnxHead() => new Head(labelTokens);

    private sealed class Head(int[][] labelTokens) : OnnxClassifierHead
    {
        public override string Kind => "cloze-test";
        public override string InputEncoding => "cloze-test";
        public override OnnxExtraInputs ExtraInputs => OnnxExtraInputs.PositionIds | OnnxExtraInputs.MaskPositions;

        public override string Logits(ErnieOnnxGraph g, string lastHidden)
        {
            var transformed = g.MlmTransform(g.GatherAtMasks(lastHidden));                                        // [B, M, H]
            string sum = null;
            for (int j = 0; j < labelTokens[0].Length; j++)
            {
                var atMask = g.Builder.Node("Gather", [transformed, g.LongScalar(j)], $"mask{j}_hidden", ("axis", 1L));   // [B, H]
                var scores = g.MlmDecoder(atMask, labelTokens.Select(w => w[j]).ToArray());                               // [B, C]
                sum = sum is null ? scores : g.Builder.Node("Add", [sum, scores], $"scores_upto_mask{j}");
            }
            return sum;
        }

        public override void AddMetadata(OnnxGraphBuilder builder) => builder.Metadata("template", "{'text':'text_a'}{'mask'}{'mask'}");
    }
}

public class OnnxHeadExtensionTests(ITestOutputHelper output)
{
    private static readonly string[] LabelWords = ["教育", "经济", "体育"];

    /// <summary>Text, then two [MASK]s; positions restart at 1 after [CLS] for a change (so the position_ids input matters).</summary>
    private static List<EncodedExample> ClozeExamples(ErnieTokenizer tokenizer)
    {
        return Texts.Select(t =>
        {
            var ids = new List<int> { tokenizer.ClsId };
            ids.AddRange(tokenizer.Tokenize(t).Take(20));
            int mask = ids.Count;
            ids.AddRange([tokenizer.MaskId, tokenizer.MaskId, tokenizer.SepId]);
            return new EncodedExample
            {
                InputIds = ids.ToArray(), TokenTypeIds = new int[ids.Count], PositionIds = Enumerable.Range(0, ids.Count).Select(i => i == 0 ? 0 : i + 1).ToArray(),
                MaskPositions = [mask, mask + 1],
            };
        }).ToList();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CustomHeadWithMaskPositionsAndPositionIdsMatchesTorchSharp(bool tinyErnie)
    {
        var (fineTune, tokenizer) = tinyErnie ? TinyErnieFineTune() : RandomFineTune("relu", tieWordEmbeddings: false, useTaskId: false);
        var labelTokens = LabelWords.Select(w => tokenizer.Tokenize(w).ToArray()).ToArray();
        var net = new ClozeTestClassifier(fineTune.Plm, labelTokens);
        net.eval();
        var examples = ClozeExamples(tokenizer);
        var model = Export(net, tokenizer);
        using (var session = new InferenceSession(model))
        {
            Assert.Equal(["input_ids", "attention_mask", "token_type_ids", "position_ids", "mask_positions"], session.InputMetadata.Keys.ToArray());
            Assert.Equal("cloze-test", session.ModelMetadata.CustomMetadataMap["model_kind"]);
            Assert.StartsWith("{'text'", session.ModelMetadata.CustomMetadataMap["template"]);
        }
        var torch = TorchProbabilities(net, examples, tokenizer.PadId);
        var onnx = OrtProbabilities(model, examples, tokenizer.PadId);
        double diff = MaxAbsDiff(torch, onnx);
        output.WriteLine($"cloze head ({(tinyErnie ? "tiny-ernie" : "untied decoder, relu")}): max |Δp| = {diff:E2}");
        Assert.True(diff <= 1e-4, $"{diff}");
    }

    [Fact]
    public void UnknownNetworksAreRejected()
    {
        var (fineTune, tokenizer) = TinyErnieFineTune();
        var e = Assert.Throws<NotSupportedException>(() => ErnieOnnxExporter.Build(new NotExportable(fineTune.Plm), tokenizer, Settings(Labels), null));
        Assert.Contains("NotExportable", e.Message);
    }

    private sealed class NotExportable(ErnieForMaskedLM plm) : ClassifierNet(nameof(NotExportable))
    {
        public override ErnieForMaskedLM Plm => plm;
        public override int ClassCount => 3;
        public override ClassifierOutput Forward(ClassifierBatch batch) => throw new NotImplementedException();
        public override IEnumerable<(string Name, Parameter Parameter)> HeadParameters() => [];
    }
}
