using System.Text.Json.Nodes;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Tokenization;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>
/// PaddleNLP's <c>MaskedLMVerbalizer</c> (the PET example): one <c>[MASK]</c> per token of the label word, e.g.
/// <c>阅读下边一则{'mask'}{'mask'}新闻</c> with two-character words (<c>汽车</c>, <c>财经</c>, …). Each label keeps its
/// first word; all words must have the same number of tokens L and the template exactly L masks. Training is
/// cross-entropy over the whole vocabulary at each mask with the label word's i-th token as target; a label's score is
/// the aggregate over masks of the log-probability of its i-th token at mask i (product = sum of log-probabilities).
/// </summary>
/// <remarks>
/// PaddleNLP compares the words' character lengths; what has to match the masks is the token count, so that is what is
/// checked. PaddleNLP aggregates raw logits across masks (multiplying them for "product"); here log-softmax
/// probabilities are aggregated, so the scores are log-probabilities of the whole word.
/// </remarks>
public sealed class MaskedLMVerbalizer : Verbalizer
{
    private readonly long[] tokenIds;   // [C * L]
    private readonly int length;

    /// <summary>Creates the verbalizer.</summary>
    /// <exception cref="ArgumentException">A word tokenizes to [UNK], or the words have different token counts.</exception>
    public MaskedLMVerbalizer(LabelWords labelWords, ErnieForMaskedLM model, ErnieTokenizer tokenizer, MaskAggregation maskAggregation = MaskAggregation.Product)
        : base(nameof(MaskedLMVerbalizer), labelWords, model, tokenizer)
    {
        var words = LabelWordTokens.Create(labelWords, tokenizer, maxWordsPerLabel: 1);
        var lengths = words.Tokens.Select(w => w[0].Length).ToArray();
        if (lengths.Distinct().Count() > 1)
        {
            int common = lengths.GroupBy(l => l).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
            var odd = Enumerable.Range(0, lengths.Length).Where(c => lengths[c] != common)
                .Select(c => $"'{labelWords.WordsOf(c)[0]}' ({labelWords.Labels[c]}) has {lengths[c]}");
            throw new ArgumentException($"Label words must all have the same number of tokens (one per {{'mask'}}): most have {common}, but {string.Join(", ", odd)}.");
        }
        length = lengths[0];
        tokenIds = words.Tokens.SelectMany(w => w[0]).Select(i => (long)i).ToArray();
        MaskAggregation = maskAggregation;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override PromptVerbalizerKind Kind => PromptVerbalizerKind.MaskedLM;

    /// <summary>The label words' token ids, row-major <c>[C, L]</c> (for export).</summary>
    internal IReadOnlyList<long> LabelTokenIds => tokenIds;

    /// <summary>How the masks' log-probabilities are combined.</summary>
    public MaskAggregation MaskAggregation { get; }

    /// <summary>Tokens per label word (= masks the template needs).</summary>
    public int WordLength => length;

    /// <inheritdoc />
    public override int? RequiredMaskCount => length;

    /// <inheritdoc />
    protected private override string MaskCountMessage(int actual, int required) =>
        $"The label words have {required} token(s) each, so the template needs exactly {required} {{'mask'}} (one per token), but it has {actual}.";

    private Tensor TokenIds(Device device) => tensor(tokenIds, new long[] { ClassCount, length }, dtype: int64, device: device);   // [C, L]

    /// <inheritdoc />
    public override Tensor LabelLogits(Tensor maskHidden)
    {
        var (batch, _) = CheckMaskHidden(maskHidden);
        var logProbs = Model.Head.forward(maskHidden).log_softmax(-1);                          // [B, L, V]
        var index = TokenIds(maskHidden.device).t().unsqueeze(0).expand(batch, length, ClassCount);   // [B, L, C]
        return VerbalizerAggregation.Masks(logProbs.gather(2, index), MaskAggregation);          // [B, C]
    }

    /// <summary>Cross-entropy over the vocabulary at every mask, targets = the label word's tokens (mean over batch and masks).</summary>
    public override Tensor Loss(Tensor maskHidden, Tensor labels)
    {
        var (batch, _) = CheckMaskHidden(maskHidden);
        CheckLabels(labels, batch);
        var logits = Model.Head.forward(maskHidden);                                             // [B, L, V]
        var targets = TokenIds(maskHidden.device).index_select(0, labels);                       // [B, L]
        return nn.functional.cross_entropy(logits.reshape(batch * length, -1), targets.reshape(-1));
    }

    /// <inheritdoc />
    protected private override void WriteOptions(JsonObject config) =>
        config["mask_aggregation"] = MaskAggregation.ToString().ToLowerInvariant();

    internal static MaskedLMVerbalizer FromOptions(JsonObject config, LabelWords labelWords, ErnieForMaskedLM model, ErnieTokenizer tokenizer) =>
        new(labelWords, model, tokenizer, ParseEnum(config, "mask_aggregation", MaskAggregation.Product));
}
