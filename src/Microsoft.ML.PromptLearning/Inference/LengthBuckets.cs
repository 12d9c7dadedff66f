namespace Microsoft.ML.PromptLearning.Inference;

/// <summary>Groups examples of similar length into batches so that dynamic padding wastes little compute.</summary>
internal static class LengthBuckets
{
    /// <summary>
    /// Training order for one epoch: shuffle, cut into windows of <c>batchSize × windowBatches</c>, sort each window by
    /// length, cut into batches, shuffle the batches. Deterministic for a given <paramref name="rng"/>.
    /// </summary>
    public static List<int[]> TrainingBatches(IReadOnlyList<int> lengths, int batchSize, Random rng, int windowBatches = 50)
    {
        var order = Enumerable.Range(0, lengths.Count).ToArray();
        rng.Shuffle(order);
        var batches = new List<int[]>();
        int window = batchSize * windowBatches;
        for (int start = 0; start < order.Length; start += window)
        {
            var sorted = order.Skip(start).Take(window).OrderBy(i => lengths[i]).ToArray();
            for (int s = 0; s < sorted.Length; s += batchSize) batches.Add(sorted.Skip(s).Take(batchSize).ToArray());
        }
        var shuffled = batches.ToArray();
        rng.Shuffle(shuffled);
        return shuffled.ToList();
    }

    /// <summary>Scoring order: all examples sorted by length and cut into batches (callers restore the original order by index).</summary>
    public static List<int[]> ScoringBatches(IReadOnlyList<int> lengths, int batchSize)
    {
        var sorted = Enumerable.Range(0, lengths.Count).OrderBy(i => lengths[i]).ToArray();
        var batches = new List<int[]>();
        for (int s = 0; s < sorted.Length; s += batchSize) batches.Add(sorted.Skip(s).Take(batchSize).ToArray());
        return batches;
    }

    /// <summary>
    /// Scores <paramref name="examples"/> in length-sorted batches of <paramref name="batchSize"/> with <paramref name="scoreBatch"/>
    /// (one result row per example of the batch) and returns the rows in input order.
    /// </summary>
    public static float[][] ScoreInBatches(IReadOnlyList<EncodedExample> examples, int batchSize, Func<IReadOnlyList<EncodedExample>, float[][]> scoreBatch)
    {
        var result = new float[examples.Count][];
        foreach (var indices in ScoringBatches(examples.Select(e => e.Length).ToArray(), batchSize))
        {
            var rows = scoreBatch(indices.Select(i => examples[i]).ToList());
            for (int r = 0; r < indices.Length; r++) result[indices[r]] = rows[r];
        }
        return result;
    }
}
