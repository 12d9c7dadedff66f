using Microsoft.ML.PromptLearning.Pretraining;

namespace Microsoft.ML.PromptLearning.Tests.Pretraining;

public class MlmMaskerTests
{
    private const int Cls = 1, Sep = 2, Mask = 3, Pad = 0, Unk = 99;
    private static readonly MlmMasker Masker = new(Mask, 100, new[] { Cls, Sep, Pad, Unk });

    private static int[] Sequence(int length) =>
        Enumerable.Range(0, length).Select(i => i == 0 ? Cls : i == length - 1 || i == length / 2 ? Sep : 10 + i % 80).ToArray();

    [Fact]
    public void SelectsFifteenPercentOfOrdinaryTokensAndNeverSpecialOnes()
    {
        var seq = Sequence(128);
        var batch = Masker.Mask(new[] { seq, seq }, seed: 7);
        int ordinary = seq.Count(t => t >= 10);
        Assert.Equal(2 * (int)Math.Round(ordinary * 0.15), batch.FlatPositions.Length);
        foreach (var p in batch.FlatPositions)
            Assert.True(seq[p % 128] >= 10, "a special token was selected");
        Assert.Equal(batch.FlatPositions.Select(p => (long)seq[p % 128]), batch.Labels);
    }

    [Fact]
    public void EightyTenTenSplitOverManyDraws()
    {
        var seq = Sequence(128);
        int masked = 0, random = 0, kept = 0;
        for (int seed = 0; seed < 300; seed++)
        {
            var b = Masker.Mask(new[] { seq }, seed);
            for (int i = 0; i < b.FlatPositions.Length; i++)
            {
                long now = b.InputIds[b.FlatPositions[i]];
                if (now == Mask) masked++; else if (now == b.Labels[i]) kept++; else random++;
            }
        }
        double total = masked + random + kept;
        Assert.InRange(masked / total, 0.77, 0.83);
        Assert.InRange((random + kept) / total, 0.17, 0.23);   // a random draw can hit the original token, so split the rest loosely
        Assert.InRange(kept / total, 0.08, 0.13);
    }

    [Fact]
    public void SameSeedSameMasksDifferentSeedDifferentMasks()
    {
        var seq = Sequence(64);
        Assert.Equal(Masker.Mask(new[] { seq }, 5).InputIds, Masker.Mask(new[] { seq }, 5).InputIds);
        Assert.NotEqual(Masker.Mask(new[] { seq }, 5).FlatPositions, Masker.Mask(new[] { seq }, 6).FlatPositions);
    }
}
