namespace Microsoft.ML.PromptLearning.Pretraining;

/// <summary>A batch of packed sequences with dynamic MLM masking applied.</summary>
/// <param name="InputIds">Row-major <c>[B, L]</c> ids after masking.</param>
/// <param name="Batch">B.</param>
/// <param name="Length">L.</param>
/// <param name="FlatPositions">Masked positions as indices into the flattened <c>B·L</c> grid.</param>
/// <param name="Labels">Original ids at those positions.</param>
public sealed record MlmBatch(long[] InputIds, int Batch, int Length, long[] FlatPositions, long[] Labels);

/// <summary>
/// BERT's dynamic masking: in each sequence, a fraction of the ordinary tokens is selected; 80% of them become [MASK],
/// 10% a random ordinary token, 10% stay. Special tokens are never selected. Deterministic for a given seed.
/// </summary>
public sealed class MlmMasker
{
    private readonly int maskId;
    private readonly int vocabSize;
    private readonly HashSet<int> special;
    private readonly double probability;

    /// <param name="maskId">Id of [MASK].</param>
    /// <param name="vocabSize">Number of vocabulary lines (random replacements are drawn below it).</param>
    /// <param name="specialIds">Ids never selected or drawn ([CLS], [SEP], [PAD], [UNK], [MASK]).</param>
    /// <param name="probability">Fraction of ordinary tokens to predict (0.15).</param>
    public MlmMasker(int maskId, int vocabSize, IEnumerable<int> specialIds, double probability = 0.15)
    {
        if (probability is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(probability), "The mask probability must lie in (0, 1).");
        this.maskId = maskId;
        this.vocabSize = vocabSize;
        special = new HashSet<int>(specialIds) { maskId };
        this.probability = probability;
    }

    /// <summary>Masks a batch of equal-length sequences.</summary>
    public MlmBatch Mask(IReadOnlyList<int[]> sequences, int seed)
    {
        int b = sequences.Count, length = sequences[0].Length;
        var ids = new long[b * length];
        var positions = new List<long>();
        var labels = new List<long>();
        var rng = new Random(seed);
        var candidates = new List<int>(length);
        for (int r = 0; r < b; r++)
        {
            var seq = sequences[r];
            if (seq.Length != length) throw new ArgumentException("All sequences of a batch must have the same length.", nameof(sequences));
            candidates.Clear();
            for (int i = 0; i < length; i++)
            {
                ids[r * length + i] = seq[i];
                if (!special.Contains(seq[i])) candidates.Add(i);
            }
            int count = Math.Max(candidates.Count > 0 ? 1 : 0, (int)Math.Round(candidates.Count * probability));
            // partial Fisher-Yates: the first `count` candidates become the selection
            for (int k = 0; k < count; k++)
            {
                int j = k + rng.Next(candidates.Count - k);
                (candidates[k], candidates[j]) = (candidates[j], candidates[k]);
            }
            var chosen = candidates.Take(count).Order().ToList();
            foreach (var i in chosen)
            {
                long flat = r * length + i;
                positions.Add(flat);
                labels.Add(seq[i]);
                double u = rng.NextDouble();
                if (u < 0.8) ids[flat] = maskId;
                else if (u < 0.9) ids[flat] = RandomOrdinaryToken(rng);
            }
        }
        return new MlmBatch(ids, b, length, positions.ToArray(), labels.ToArray());
    }

    private int RandomOrdinaryToken(Random rng)
    {
        while (true)
        {
            int t = rng.Next(vocabSize);
            if (!special.Contains(t)) return t;
        }
    }
}
