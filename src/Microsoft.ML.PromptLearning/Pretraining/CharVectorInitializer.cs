using System.Text;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Tokenization;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Pretraining;

/// <summary>
/// Initialises a model's word embeddings from pretrained character vectors (e.g. 200-d Tencent vectors): a fixed
/// orthonormal projection maps them to the hidden size, and rows are scaled to a chosen norm. Tokens without a vector
/// keep their random initialisation. This gives MLM pretraining a head start on distributional knowledge.
/// </summary>
public static class CharVectorInitializer
{
    /// <summary>Copies projected vectors into the embedding rows of matching tokens; returns how many rows were set.</summary>
    /// <param name="model">The model whose word embeddings are overwritten.</param>
    /// <param name="tokenizer">Its tokenizer (maps characters to rows).</param>
    /// <param name="vectorsPath">safetensors file holding one tensor <c>[N, D]</c>.</param>
    /// <param name="charsPath">N lines, line i naming the token of row i (split on '\n' only).</param>
    /// <param name="rowNormMultiple">Target row norm as a multiple of the random-init norm (std·√H).</param>
    /// <param name="seed">Seed of the projection.</param>
    public static int Apply(ErnieForMaskedLM model, ErnieTokenizer tokenizer, string vectorsPath, string charsPath, double rowNormMultiple = 3.0, long seed = 1234)
    {
        var tensors = SafeTensors.Load(vectorsPath);
        if (tensors.Count != 1) throw new InvalidDataException($"'{vectorsPath}' should hold exactly one tensor of vectors, found {tensors.Count}.");
        using var vectors = tensors.Values.Single();
        var chars = File.ReadAllText(charsPath, Encoding.UTF8).Split('\n');
        long n = vectors.shape[0], dim = vectors.shape[1];
        int hidden = model.Config.HiddenSize;
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)seed);
        // Orthonormal projection [D, H] (D <= H) from the QR decomposition of a seeded Gaussian matrix.
        var gaussian = randn(new long[] { Math.Max(dim, hidden), Math.Min(dim, hidden) }, generator: generator);
        var (q, _) = linalg.qr(gaussian);                                   // [max, min], orthonormal columns
        var projection = dim <= hidden ? q.t() : q;                         // [D, H]
        var projected = matmul(vectors, projection);                        // [N, H]
        double targetNorm = rowNormMultiple * 0.02 * Math.Sqrt(hidden);
        projected = projected / projected.norm(1, keepdim: true).clamp_min(1e-6) * targetNorm;

        var rows = new List<long>();
        var sources = new List<long>();
        var seen = new HashSet<int>();
        for (int i = 0; i < Math.Min(n, chars.Length); i++)
        {
            var token = chars[i];
            if (token.Length == 0 || string.IsNullOrWhiteSpace(token) || !tokenizer.TryGetId(token, out var id) || !seen.Add(id)) continue;
            if (id == tokenizer.PadId || id == tokenizer.UnknownId) continue;
            rows.Add(id);
            sources.Add(i);
        }
        using (no_grad())
        {
            var weight = model.Ernie.Embeddings.WordEmbeddingWeight;
            weight.index_copy_(0, tensor(rows.ToArray()), projected.index_select(0, tensor(sources.ToArray())));
        }
        return rows.Count;
    }
}
