using Microsoft.ML.PromptLearning.Tokenization;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Ernie;

/// <summary>One candidate token for a <c>[MASK]</c>.</summary>
/// <param name="Id">Vocabulary id.</param>
/// <param name="Token">The token text.</param>
/// <param name="Logit">Unnormalised MLM score.</param>
/// <param name="Probability">Softmax over the whole vocabulary at that position.</param>
internal sealed record FillMaskCandidate(int Id, string Token, float Logit, float Probability);

/// <summary>The top candidates for the <c>[MASK]</c> at <paramref name="Position"/> (an index into the encoded tokens).</summary>
internal sealed record FillMaskPrediction(int Position, IReadOnlyList<FillMaskCandidate> Top);

/// <summary>Fill-mask result for one text.</summary>
/// <param name="Tokens">All tokens including [CLS] and [SEP].</param>
/// <param name="InputIds">Their ids.</param>
/// <param name="Masks">One prediction per [MASK], in order.</param>
internal sealed record FillMaskResult(IReadOnlyList<string> Tokens, IReadOnlyList<int> InputIds, IReadOnlyList<FillMaskPrediction> Masks);

/// <summary>Predicts the most likely tokens for each <c>[MASK]</c> in a text with a masked language model.</summary>
internal sealed class FillMask : IDisposable
{
    private readonly ErnieForMaskedLM model;
    private readonly ErnieTokenizer tokenizer;
    private readonly bool ownsModel;

    /// <summary>Uses an already loaded model (left in eval mode; not disposed by this object).</summary>
    public FillMask(ErnieForMaskedLM model, ErnieTokenizer tokenizer)
    {
        this.model = model ?? throw new ArgumentNullException(nameof(model));
        this.tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        model.eval();
    }

    private FillMask(PretrainedErnie loaded) : this(loaded.Model, loaded.Tokenizer) => ownsModel = true;

    /// <summary>Loads a checkpoint folder (config.json, vocab.txt, model.safetensors or pytorch_model.bin).</summary>
    public static FillMask Load(string modelFolder) => new(ErnieCheckpoint.Load(modelFolder));

    /// <summary>The tokenizer in use.</summary>
    public ErnieTokenizer Tokenizer => tokenizer;

    /// <summary>Returns the <paramref name="topK"/> tokens for every <c>[MASK]</c> of <paramref name="text"/> (and optional second segment).</summary>
    /// <exception cref="ArgumentException">The text has no [MASK], or is so long that a [MASK] would be cut off.</exception>
    public FillMaskResult Predict(string text, string textPair = null, int topK = 10)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (topK < 1) throw new ArgumentOutOfRangeException(nameof(topK), "topK must be at least 1.");
        int maxLength = Math.Min(512, model.Config.MaxPositionEmbeddings);
        int expectedMasks = tokenizer.Tokenize(text).Count(id => id == tokenizer.MaskId) + (textPair is null ? 0 : tokenizer.Tokenize(textPair).Count(id => id == tokenizer.MaskId));
        if (expectedMasks == 0) throw new ArgumentException("The text contains no [MASK] token; write [MASK] where a token should be predicted, e.g. \"今天天气很[MASK]。\"", nameof(text));
        var encoded = tokenizer.Encode(text, textPair, maxLength);
        var maskPositions = Enumerable.Range(0, encoded.InputIds.Length).Where(i => encoded.InputIds[i] == tokenizer.MaskId).ToArray();
        if (maskPositions.Length != expectedMasks)
            throw new ArgumentException($"The text is longer than the model's {maxLength} tokens and a [MASK] would be cut off; shorten it.", nameof(text));

        topK = Math.Min(topK, model.Config.VocabSize);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = tensor(encoded.InputIds.Select(i => (long)i).ToArray(), new long[] { 1, encoded.InputIds.Length });
        var types = tensor(encoded.TokenTypeIds.Select(i => (long)i).ToArray(), new long[] { 1, encoded.TokenTypeIds.Length });
        var hidden = model.Encode(new ErnieInputs { InputIds = ids, TokenTypeIds = types }).LastHiddenState;      // [1, T, H]
        var logits = model.PredictAt(hidden, tensor(maskPositions.Select(p => (long)p).ToArray()));               // [M, V]
        var probs = nn.functional.softmax(logits, -1);
        var (topLogits, topIds) = logits.topk(topK, dim: -1);
        var topProbs = probs.gather(-1, topIds);
        var l = topLogits.data<float>().ToArray();
        var p = topProbs.data<float>().ToArray();
        var i = topIds.data<long>().ToArray();
        var masks = new List<FillMaskPrediction>();
        for (int m = 0; m < maskPositions.Length; m++)
        {
            var top = new List<FillMaskCandidate>(topK);
            for (int k = 0; k < topK; k++)
            {
                int id = (int)i[m * topK + k];
                top.Add(new FillMaskCandidate(id, id < tokenizer.VocabSize ? tokenizer.IdToToken(id) : $"[id {id}]", l[m * topK + k], p[m * topK + k]));
            }
            masks.Add(new FillMaskPrediction(maskPositions[m], top));
        }
        var tokens = encoded.InputIds.Select(tokenizer.IdToToken).ToList();
        return new FillMaskResult(tokens, encoded.InputIds, masks);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (ownsModel) model.Dispose();
    }
}
