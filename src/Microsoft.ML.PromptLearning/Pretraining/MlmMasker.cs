namespace Microsoft.ML.PromptLearning.Pretraining;

/// <summary>A batch of packed sequences with dynamic MLM masking applied.</summary>
/// <param name="InputIds">Row-major <c>[B, L]</c> ids after masking.</param>
/// <param name="Batch">B.</param>
/// <param name="Length">L.</param>
/// <param name="FlatPositions">Masked positions as indices into the flattened <c>B·L</c> grid.</param>
/// <param name="Labels">Original ids at those positions.</param>
internal sealed record MlmBatch(long[] InputIds, int Batch, int Length, long[] FlatPositions, long[] Labels);

/// <summary>
/// BERT's dynamic masking: in each sequence, a fraction of the ordinary tokens is selected; 80% of them become [MASK],
/// 10% a random ordinary token, 10% stay. Special tokens are never selected. Deterministic for a given seed.
/// With word-start flags, whole words are selected instead (Google's whole-word masking for Chinese BERT, as in ERNIE):
/// all tokens of a chosen word are predicted together, and the 80/10/10 choice is made per token.
/// </summary>
internal sealed class MlmMasker
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
            Corrupt(candidates.Take(count).Order(), seq, r * length, ids, positions, labels, rng);
        }
        return new MlmBatch(ids, b, length, positions.ToArray(), labels.ToArray());
    }

    /// <summary>
    /// Masks a batch of equal-length sequences; with <paramref name="wordStarts"/> (per token: does it begin a word),
    /// whole words are selected, otherwise single tokens as in <see cref="Mask(IReadOnlyList{int[]}, int)"/>.
    /// </summary>
    /// <remarks>
    /// Per sequence, the target is the same number of tokens as character-level masking selects. Words are visited in a
    /// random order and taken whole while they fit in what is left of the target (a word that would overshoot is skipped,
    /// as in Google's <c>create_pretraining_data.py</c>); if no word fits, the first word in that order is taken.
    /// A word is a token flagged as a word start and the ordinary tokens that follow it up to the next start or special token.
    /// </remarks>
    public MlmBatch Mask(IReadOnlyList<int[]> sequences, IReadOnlyList<bool[]> wordStarts, int seed)
    {
        if (wordStarts is null) return Mask(sequences, seed);
        if (wordStarts.Count != sequences.Count) throw new ArgumentException("Give word-start flags for every sequence.", nameof(wordStarts));
        int b = sequences.Count, length = sequences[0].Length;
        var ids = new long[b * length];
        var positions = new List<long>();
        var labels = new List<long>();
        var rng = new Random(seed);
        var words = new List<(int Start, int Count)>(length);
        var chosen = new List<int>(length);
        for (int r = 0; r < b; r++)
        {
            var seq = sequences[r];
            var starts = wordStarts[r];
            if (seq.Length != length) throw new ArgumentException("All sequences of a batch must have the same length.", nameof(sequences));
            if (starts is null || starts.Length != length) throw new ArgumentException("Every sequence needs one word-start flag per token.", nameof(wordStarts));
            words.Clear();
            int candidates = 0;
            bool inWord = false;
            for (int i = 0; i < length; i++)
            {
                ids[r * length + i] = seq[i];
                if (special.Contains(seq[i])) { inWord = false; continue; }
                candidates++;
                if (starts[i] || !inWord) { words.Add((i, 1)); inWord = true; }
                else words[^1] = (words[^1].Start, words[^1].Count + 1);
            }
            int target = Math.Max(candidates > 0 ? 1 : 0, (int)Math.Round(candidates * probability));
            for (int k = words.Count - 1; k > 0; k--)
            {
                int j = rng.Next(k + 1);
                (words[k], words[j]) = (words[j], words[k]);
            }
            chosen.Clear();
            foreach (var (start, count) in words)
            {
                if (chosen.Count >= target) break;
                if (chosen.Count + count > target) continue;
                for (int i = start; i < start + count; i++) chosen.Add(i);
            }
            if (chosen.Count == 0 && words.Count > 0)
                for (int i = words[0].Start; i < words[0].Start + words[0].Count; i++) chosen.Add(i);
            chosen.Sort();
            Corrupt(chosen, seq, r * length, ids, positions, labels, rng);
        }
        return new MlmBatch(ids, b, length, positions.ToArray(), labels.ToArray());
    }

    /// <summary>Records the selected positions (ascending) and applies 80% [MASK] / 10% random token / 10% unchanged.</summary>
    private void Corrupt(IEnumerable<int> selected, int[] seq, long rowOffset, long[] ids, List<long> positions, List<long> labels, Random rng)
    {
        foreach (var i in selected)
        {
            long flat = rowOffset + i;
            positions.Add(flat);
            labels.Add(seq[i]);
            double u = rng.NextDouble();
            if (u < 0.8) ids[flat] = maskId;
            else if (u < 0.9) ids[flat] = RandomOrdinaryToken(rng);
        }
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
