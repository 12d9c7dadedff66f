using System.Diagnostics;

namespace Microsoft.ML.PromptLearning.Benchmarks;

/// <summary>Wall-clock samples of one operation (milliseconds), with the statistics worth quoting on a noisy machine.</summary>
internal sealed record Timing(IReadOnlyList<double> SamplesMs)
{
    public double MedianMs => Median(SamplesMs);
    public double MinMs => SamplesMs.Min();

    /// <summary>Runs <paramref name="action"/> <paramref name="warmup"/> times untimed, then <paramref name="repeats"/> times timed.</summary>
    public static Timing Measure(Action action, int warmup, int repeats)
    {
        for (int i = 0; i < warmup; i++) action();
        var samples = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            samples[i] = sw.Elapsed.TotalMilliseconds;
        }
        return new Timing(samples);
    }

    /// <summary>The median of <paramref name="xs"/> (the mean of the middle two for an even count).</summary>
    public static double Median(IEnumerable<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
