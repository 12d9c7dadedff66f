using System.Text.Json.Nodes;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Tokenization;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>
/// PaddleNLP's <c>ManualVerbalizer</c> (PET-style): the MLM head scores every label word at every mask — token logits
/// gathered from the vocabulary projection, tokens of a word aggregated (mean), a softmax over all label words, its log,
/// words of a label aggregated (mean), masks aggregated (product). Labels may have several words of any length; the
/// template may have any number of masks (each mask predicts the whole word, as in PaddleNLP). No new parameters: the
/// PLM's MLM head (transform, decoder = word embeddings, bias) is trained with the PLM.
/// </summary>
/// <remarks>
/// Only the logits of the label words' tokens are computed (gathering decoder rows), which equals PaddleNLP's full
/// vocabulary projection followed by <c>index_select</c>. Two differences: the softmax is taken per mask (PaddleNLP takes one
/// softmax over all masks and words together, which only shifts every label's score by the same constant, so class
/// probabilities are identical), and <see cref="MaskAggregation.Product"/> multiplies probabilities, i.e. adds
/// log-probabilities (PaddleNLP multiplies the log-probabilities themselves, which inverts the ranking for two masks).
/// </remarks>
public sealed class ManualVerbalizer : Verbalizer
{
    private readonly LabelWordTokens words;

    /// <summary>Creates the verbalizer.</summary>
    /// <exception cref="ArgumentException">A label word tokenizes to [UNK] or has no tokens.</exception>
    public ManualVerbalizer(LabelWords labelWords, ErnieForMaskedLM model, ErnieTokenizer tokenizer,
        Aggregation tokenAggregation = Aggregation.Mean, Aggregation wordAggregation = Aggregation.Mean,
        MaskAggregation maskAggregation = MaskAggregation.Product, bool postLogSoftmax = true)
        : base(nameof(ManualVerbalizer), labelWords, model, tokenizer)
    {
        words = LabelWordTokens.Create(labelWords, tokenizer);
        TokenAggregation = tokenAggregation;
        WordAggregation = wordAggregation;
        MaskAggregation = maskAggregation;
        PostLogSoftmax = postLogSoftmax;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override PromptVerbalizerKind Kind => PromptVerbalizerKind.Manual;

    /// <summary>The label words' token ids (for export).</summary>
    internal LabelWordTokens Words => words;
    /// <summary>How the tokens of a multi-token word are combined (on logits).</summary>
    public Aggregation TokenAggregation { get; }
    /// <summary>How the words of a label are combined (on log-probabilities).</summary>
    public Aggregation WordAggregation { get; }
    /// <summary>How several masks are combined.</summary>
    public MaskAggregation MaskAggregation { get; }
    /// <summary>Whether word logits are turned into log-probabilities over all label words before words are combined (PaddleNLP default true).</summary>
    public bool PostLogSoftmax { get; }

    /// <inheritdoc />
    public override Tensor LabelLogits(Tensor maskHidden)
    {
        var (batch, masks) = CheckMaskHidden(maskHidden);
        var device = maskHidden.device;
        var head = Model.Head;
        var ids = words.TokenIds(device).flatten();                                               // [C*W*K]
        var transformed = head.Transform.forward(maskHidden);                                      // [B, M, H]
        var logits = nn.functional.linear(transformed, head.DecoderWeight.index_select(0, ids), head.Bias.index_select(0, ids))
            .view(batch, masks, words.Labels, words.MaxWords, words.MaxTokens);                   // [B, M, C, W, K]
        var wordMask = words.WordMask(logits.dtype, device);                                       // [C, W]
        var wordScores = VerbalizerAggregation.Reduce(logits, words.TokenMask(logits.dtype, device), TokenAggregation);   // [B, M, C, W]
        wordScores = wordScores - 1e4 * (1 - wordMask);
        if (PostLogSoftmax)
            wordScores = wordScores.view(batch, masks, -1).log_softmax(-1).view(batch, masks, words.Labels, words.MaxWords);
        var labelScores = VerbalizerAggregation.Reduce(wordScores, wordMask, WordAggregation);    // [B, M, C]
        return VerbalizerAggregation.Masks(labelScores, MaskAggregation);                          // [B, C]
    }

    /// <inheritdoc />
    protected private override void WriteOptions(JsonObject config)
    {
        config["token_aggregation"] = TokenAggregation.ToString().ToLowerInvariant();
        config["word_aggregation"] = WordAggregation.ToString().ToLowerInvariant();
        config["mask_aggregation"] = MaskAggregation.ToString().ToLowerInvariant();
        config["post_log_softmax"] = PostLogSoftmax;
    }

    internal static ManualVerbalizer FromOptions(JsonObject config, LabelWords labelWords, ErnieForMaskedLM model, ErnieTokenizer tokenizer) =>
        new(labelWords, model, tokenizer,
            ParseEnum(config, "token_aggregation", Aggregation.Mean),
            ParseEnum(config, "word_aggregation", Aggregation.Mean),
            ParseEnum(config, "mask_aggregation", MaskAggregation.Product),
            config["post_log_softmax"]?.GetValue<bool>() ?? true);
}
