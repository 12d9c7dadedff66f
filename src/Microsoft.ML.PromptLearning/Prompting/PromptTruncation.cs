namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>
/// PaddleNLP's <c>MLMPromptTokenizer._create_max_lengths_from_do_truncate</c>: how many tokens each template part may keep
/// when the parts together exceed the budget. Parts that may not be truncated keep everything; truncatable parts shorter
/// than the average remaining budget are kept whole (repeatedly); the rest share what is left equally (integer division,
/// so a few tokens of budget may stay unused, exactly as in PaddleNLP).
/// </summary>
internal static class PromptTruncation
{
    /// <summary>
    /// Returns the kept length of every part. When even the non-truncatable parts exceed <paramref name="budget"/> the
    /// result still sums to more than the budget: the caller reports that.
    /// </summary>
    public static int[] MaxLengths(IReadOnlyList<int> lengths, IReadOnlyList<bool> truncatable, int budget)
    {
        int n = lengths.Count;
        var result = lengths.ToArray();
        long total = 0;
        foreach (var l in lengths) total += l;
        if (total <= budget) return result;

        var doTruncate = truncatable.ToArray();
        int remaining = budget;
        for (int i = 0; i < n; i++)
            if (!doTruncate[i]) remaining -= lengths[i];
        int count = doTruncate.Count(t => t);
        if (count == 0 || remaining < 0) return result;

        // Keep short parts whole, as long as some part is shorter than the average share.
        bool hasShort = true;
        while (hasShort && count > 0)
        {
            hasShort = false;
            int average = remaining / count;
            for (int i = 0; i < n; i++)
            {
                if (doTruncate[i] && lengths[i] <= average)
                {
                    doTruncate[i] = false;
                    remaining -= lengths[i];
                    count--;
                    hasShort = true;
                }
            }
        }
        if (count == 0) return result;
        int share = remaining / count;
        for (int i = 0; i < n; i++)
        {
            if (!doTruncate[i]) continue;
            result[i] = Math.Min(share, remaining);
            remaining -= result[i];
        }
        return result;
    }
}
