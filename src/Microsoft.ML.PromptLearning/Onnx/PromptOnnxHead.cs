using Microsoft.ML.PromptLearning.Prompting;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Onnx;

/// <summary>
/// The head of a prompt model: soft prompt vectors (constants at inference) written into their slots, the hidden states
/// at the template's [MASK] slots, then the verbalizer (soft, manual or per-character masked LM), as in
/// <see cref="PromptClassifier.Forward"/>. The template is written to the <c>template</c> metadata so a scorer encodes
/// text exactly as the fitted transformer did.
/// </summary>
internal sealed class PromptOnnxHead : OnnxClassifierHead
{
    private readonly PromptClassifier net;

    public PromptOnnxHead(PromptClassifier net) => this.net = net.Template is null
        ? throw new NotSupportedException("This prompt network was created without its template, so it cannot be exported to ONNX.")
        : net;

    public override string Kind => "prompt";
    public override string InputEncoding => PromptInputEncoder.EncodingName;

    public override OnnxExtraInputs ExtraInputs =>
        OnnxExtraInputs.PositionIds | OnnxExtraInputs.MaskPositions | (net.Soft is null ? OnnxExtraInputs.None : OnnxExtraInputs.SoftTokenIds);

    public override string WordEmbeddings(ErnieOnnxGraph g)
    {
        if (net.Soft is null) return g.WordEmbeddings();
        float[] vectors;
        using (no_grad()) vectors = ErnieOnnxGraph.Data(net.Soft.EncodeConstants());                                   // [S, H]
        return g.SoftPromptWordEmbeddings(g.WordEmbeddings(), vectors, net.Soft.Count);
    }

    public override string OutputRows(ErnieOnnxGraph g, string hidden) => g.GatherAtMasks(hidden);                    // [B, M, H]

    public override string Logits(ErnieOnnxGraph g, string maskHidden)
    {
        return net.Verbalizer switch
        {
            SoftVerbalizer soft => SoftLogits(g, maskHidden, soft),
            ManualVerbalizer manual => ManualLogits(g, maskHidden, manual),
            MaskedLMVerbalizer maskedLM => MaskedLMLogits(g, maskHidden, maskedLM),
            var other => throw new NotSupportedException($"Exporting a prompt model with a {other.GetType().Name} to ONNX is not supported yet."),
        };
    }

    public override void AddMetadata(OnnxGraphBuilder builder) => builder.Metadata(OnnxModelMetadata.TemplateKey, net.Template.ToConfigText());

    /// <summary>decoder(transform(h)) per mask <c>[B, M, C]</c>, averaged over the masks.</summary>
    private static string SoftLogits(ErnieOnnxGraph g, string maskHidden, SoftVerbalizer verbalizer)
    {
        var transformed = g.MlmTransform(maskHidden);                                                                   // [B, M, H]
        var logits = g.Linear(transformed, verbalizer.Decoder.weight, verbalizer.Decoder.bias, "verbalizer.decoder", quantize: false);   // [B, M, C]
        return g.Builder.Node("ReduceMean", [logits], "label_logits", ("axes", new long[] { 1 }), ("keepdims", 0L));  // [B, C]
    }

    /// <summary>Label-word token logits <c>[B, M, C, W, K]</c> → tokens → words (optionally log-softmaxed over all words) → masks.</summary>
    private static string ManualLogits(ErnieOnnxGraph g, string maskHidden, ManualVerbalizer verbalizer)
    {
        var words = verbalizer.Words;
        int c = words.Labels, w = words.MaxWords, k = words.MaxTokens;
        var ids = new int[c * w * k];
        var tokenMask = new float[c * w * k];
        var wordMask = new float[c * w];
        for (int l = 0; l < c; l++)
            for (int j = 0; j < words.Tokens[l].Length; j++)
            {
                wordMask[l * w + j] = 1;
                for (int t = 0; t < words.Tokens[l][j].Length; t++)
                {
                    ids[(l * w + j) * k + t] = words.Tokens[l][j][t];
                    tokenMask[(l * w + j) * k + t] = 1;
                }
            }
        var b = g.Builder;
        var transformed = g.MlmTransform(maskHidden);                                                                   // [B, M, H]
        var flat = g.MlmDecoder(transformed, ids);                                                                      // [B, M, C*W*K]
        var logits = b.Node("Reshape", [flat, g.LongVector(0, 0, c, w, k)], "label_token_logits");                     // [B, M, C, W, K]
        var wordScores = Reduce(g, logits, tokenMask, [c, w, k], verbalizer.TokenAggregation, "label_word_scores");     // [B, M, C, W]
        wordScores = b.Node("Add", [wordScores, g.Weight("verbalizer.word_mask_bias", wordMask.Select(m => -1e4f * (1 - m)).ToArray(), c, w)], "label_word_scores_masked");
        if (verbalizer.PostLogSoftmax)
        {
            var all = b.Node("Reshape", [wordScores, g.LongVector(0, 0, -1)], "label_word_scores_flat");              // [B, M, C*W]
            var logSoftmax = b.Node("LogSoftmax", [all], "label_word_log_probs", ("axis", -1L));
            wordScores = b.Node("Reshape", [logSoftmax, g.LongVector(0, 0, c, w)], "label_word_log_probs_4d");        // [B, M, C, W]
        }
        var labelScores = Reduce(g, wordScores, wordMask, [c, w], verbalizer.WordAggregation, "label_scores");          // [B, M, C]
        return Masks(g, labelScores, verbalizer.MaskAggregation);                                                      // [B, C]
    }

    /// <summary>log-softmax over the vocabulary at each mask, the m-th token of each label word at the m-th mask, then the masks.</summary>
    private static string MaskedLMLogits(ErnieOnnxGraph g, string maskHidden, MaskedLMVerbalizer verbalizer)
    {
        var b = g.Builder;
        int length = verbalizer.WordLength, classes = verbalizer.ClassCount;
        var tokenIds = verbalizer.LabelTokenIds;                                                                        // [C * L], row-major [C, L]
        var logProbs = b.Node("LogSoftmax", [g.MlmDecoder(g.MlmTransform(maskHidden))], "mask_log_probs", ("axis", -1L));   // [B, L, V]
        var perMask = new string[length];
        for (int j = 0; j < length; j++)
        {
            var atMask = b.Node("Gather", [logProbs, g.LongScalar(j)], $"mask{j}_log_probs", ("axis", 1L));           // [B, V]
            var column = Enumerable.Range(0, classes).Select(l => tokenIds[l * length + j]).ToArray();
            var scores = b.Node("Gather", [atMask, g.LongVector(column)], $"mask{j}_label_log_probs", ("axis", 1L)); // [B, C]
            perMask[j] = b.Node("Unsqueeze", [scores, g.LongVector(1)], $"mask{j}_label_log_probs_3d");               // [B, 1, C]
        }
        var stacked = length == 1 ? perMask[0] : b.Node("Concat", perMask, "label_log_probs", ("axis", 1L));           // [B, L, C]
        return Masks(g, stacked, verbalizer.MaskAggregation);
    }

    /// <summary><see cref="VerbalizerAggregation.Reduce"/> over the last axis with a constant 0/1 mask of the trailing dims.</summary>
    private static string Reduce(ErnieOnnxGraph g, string x, float[] mask, long[] dims, Aggregation kind, string name)
    {
        var b = g.Builder;
        switch (kind)
        {
            case Aggregation.Mean:
            {
                var sum = b.Node("ReduceSum", [b.Node("Mul", [x, g.Weight(name + ".mask", mask, dims)], name + "_masked"), g.LongVector(-1)], name + "_sum", ("keepdims", 0L));
                int n = (int)dims[^1];
                var count = Enumerable.Range(0, mask.Length / n).Select(r => (float)(mask.Skip(r * n).Take(n).Sum() + 1e-15)).ToArray();
                return b.Node("Div", [sum, g.Weight(name + ".count", count, dims[..^1])], name);
            }
            case Aggregation.Max:
                return b.Node("ReduceMax", [b.Node("Add", [x, g.Weight(name + ".mask_bias", mask.Select(m => -1e4f * (1 - m)).ToArray(), dims)], name + "_masked")],
                    name, ("axes", new long[] { -1 }), ("keepdims", 0L));
            case Aggregation.First:
                return b.Node("Gather", [x, g.LongScalar(0)], name, ("axis", -1L));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary><see cref="VerbalizerAggregation.Masks"/>: <c>[B, M, C] → [B, C]</c>.</summary>
    private static string Masks(ErnieOnnxGraph g, string scores, MaskAggregation kind) => kind switch
    {
        MaskAggregation.Product => g.Builder.Node("ReduceSum", [scores, g.LongVector(1)], "label_logits", ("keepdims", 0L)),
        MaskAggregation.Mean => g.Builder.Node("ReduceMean", [scores], "label_logits", ("axes", new long[] { 1 }), ("keepdims", 0L)),
        MaskAggregation.Max => g.Builder.Node("ReduceMax", [scores], "label_logits", ("axes", new long[] { 1 }), ("keepdims", 0L)),
        MaskAggregation.First => g.Builder.Node("Gather", [scores, g.LongScalar(0)], "label_logits", ("axis", 1L)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
