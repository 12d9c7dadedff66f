using Microsoft.ML.PromptLearning.Inference;
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
/// A cloze classifier written the way a prompt model plugs into the exporter: its network comes with an
/// <see cref="OnnxClassifierHead"/> (as each fitted transformer gives its own), its head asks for position_ids and mask_positions and is built from
/// <see cref="ErnieOnnxGraph.GatherAtMasks"/>, <see cref="ErnieOnnxGraph.MlmTransform"/> and <see cref="ErnieOnnxGraph.MlmDecoder"/>.
/// Class c's score = Σ_m MLM logit of the m-th character of its label word at the m-th [MASK].
/// </summary>
internal sealed class ClozeTestClassifier : ClassifierNet
{
    private readonly ErnieForMaskedLM plm;
    private readonly int[][] labelTokens;   // [C][M]
    private readonly Tensor softVectors;    // [S, H] or null

    public ClozeTestClassifier(ErnieForMaskedLM plm, int[][] labelTokens, Tensor softVectors = null) : base(nameof(ClozeTestClassifier))
    {
        this.plm = plm;
        this.labelTokens = labelTokens;
        this.softVectors = softVectors;
        RegisterComponents();
    }

    public override ErnieForMaskedLM Plm => plm;
    public override int ClassCount => labelTokens.Length;
    public override IEnumerable<(string Name, Parameter Parameter)> HeadParameters() => [];

    public override ClassifierOutput Forward(ClassifierBatch batch)
    {
        var embeds = plm.Ernie.Embeddings.EmbedWords(batch.InputIds);                                           // [B, T, H]
        if (softVectors is not null)
        {
            var table = cat([zeros(1, softVectors.shape[1]), softVectors], 0);                                   // [S+1, H]
            var soft = table.index_select(0, batch.SoftTokenIds.reshape(-1)).view(embeds.shape);
            embeds = where(batch.SoftTokenIds.unsqueeze(-1) > 0, soft, embeds);
        }
        var hidden = plm.Encode(new ErnieInputs
        {
            InputsEmbeds = embeds, TokenTypeIds = batch.TokenTypeIds, PositionIds = batch.PositionIds, AttentionMask = batch.AttentionMask,
        }).LastHiddenState;                                                                                       // [B, T, H]
        var maskHidden = hidden.gather(1, batch.MaskPositions.unsqueeze(-1).expand(-1, -1, hidden.shape[2]));   // [B, M, H]
        var vocabLogits = plm.Head.forward(maskHidden);                                                          // [B, M, V]
        int m = labelTokens[0].Length;
        var scores = Enumerable.Range(0, m)
            .Select(j => vocabLogits.select(1, j).index_select(1, tensor(labelTokens.Select(w => (long)w[j]).ToArray())))   // [B, C]
            .Aggregate((a, b) => a + b);
        return new ClassifierOutput(scores, maskHidden.select(1, 0), maskHidden);
    }

    public OnnxClassifierHead CreateOnnxHead() => new Head(labelTokens, softVectors);

    private sealed class Head(int[][] labelTokens, Tensor softVectors) : OnnxClassifierHead
    {
        public override string Kind => "cloze-test";
        public override string InputEncoding => "cloze-test";
        public override OnnxExtraInputs ExtraInputs =>
            OnnxExtraInputs.PositionIds | OnnxExtraInputs.MaskPositions | (softVectors is null ? OnnxExtraInputs.None : OnnxExtraInputs.SoftTokenIds);

        public override string WordEmbeddings(ErnieOnnxGraph g) => softVectors is null
            ? g.WordEmbeddings()
            : g.SoftPromptWordEmbeddings(g.WordEmbeddings(), ErnieOnnxGraph.Data(softVectors), (int)softVectors.shape[0]);

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

    /// <summary>
    /// [CLS], optionally two soft tokens, the text, then two [MASK]s; positions skip 1 after [CLS] (so the position_ids input matters).
    /// </summary>
    private static List<EncodedExample> ClozeExamples(ErnieTokenizer tokenizer, bool soft)
    {
        return Texts.Select(t =>
        {
            var ids = new List<int> { tokenizer.ClsId };
            if (soft) ids.AddRange([tokenizer.UnknownId, tokenizer.UnknownId]);
            ids.AddRange(tokenizer.Tokenize(t).Take(20));
            int mask = ids.Count;
            ids.AddRange([tokenizer.MaskId, tokenizer.MaskId, tokenizer.SepId]);
            return new EncodedExample
            {
                InputIds = ids.ToArray(), TokenTypeIds = new int[ids.Count], PositionIds = Enumerable.Range(0, ids.Count).Select(i => i == 0 ? 0 : i + 1).ToArray(),
                MaskPositions = [mask, mask + 1],
                SoftTokenIds = soft ? Enumerable.Range(0, ids.Count).Select(i => i is 1 or 2 ? i : 0).ToArray() : null,
            };
        }).ToList();
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void CustomHeadWithMaskPositionsAndPositionIdsMatchesTorchSharp(bool tinyErnie, bool softPrompt)
    {
        var (fineTune, tokenizer) = tinyErnie ? TinyErnieFineTune() : RandomFineTune("relu", tieWordEmbeddings: false, useTaskId: false);
        var labelTokens = LabelWords.Select(w => tokenizer.Tokenize(w).ToArray()).ToArray();
        manual_seed(11);
        var net = new ClozeTestClassifier(fineTune.Plm, labelTokens, softPrompt ? randn(2, fineTune.Plm.Config.HiddenSize) : null);
        net.eval();
        var examples = ClozeExamples(tokenizer, softPrompt);
        var model = Export(net, tokenizer, head: net.CreateOnnxHead());
        using (var session = new InferenceSession(model))
        {
            string[] expectedInputs = ["input_ids", "attention_mask", "token_type_ids", "position_ids", "mask_positions", .. softPrompt ? new[] { "soft_token_ids" } : []];
            Assert.Equal(expectedInputs, session.InputMetadata.Keys.ToArray());
            Assert.Equal("cloze-test", session.ModelMetadata.CustomMetadataMap["model_kind"]);
            Assert.StartsWith("{'text'", session.ModelMetadata.CustomMetadataMap["template"]);
        }
        var torch = TorchProbabilities(net, examples, tokenizer.PadId);
        var onnx = OrtProbabilities(model, examples, tokenizer.PadId);
        double diff = MaxAbsDiff(torch, onnx);
        output.WriteLine($"cloze head ({(tinyErnie ? "tiny-ernie" : "untied decoder, relu")}{(softPrompt ? ", soft prompt" : "")}): max |Δp| = {diff:E2}");
        Assert.True(diff <= 1e-4, $"{diff}");
    }
}
