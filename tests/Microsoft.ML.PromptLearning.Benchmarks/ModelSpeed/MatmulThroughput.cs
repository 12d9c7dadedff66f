using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Benchmarks.ModelSpeed;

/// <summary>The matmul ceiling of this machine: square matrix products through libtorch (float32 unless told).</summary>
internal static class MatmulThroughput
{
    /// <summary>Times <c>a.mm(b)</c> for <paramref name="n"/>×<paramref name="n"/> matrices of <paramref name="dtype"/> (default float32); returns the timing and GFLOP/s of its median.</summary>
    public static (Timing Timing, double GFlops) Measure(int n, int warmup, int repeats, ScalarType dtype = ScalarType.Float32)
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        var a = randn(n, n).to(dtype);
        var b = randn(n, n).to(dtype);
        var timing = Timing.Measure(() =>
        {
            using var step = NewDisposeScope();
            a.mm(b);
        }, warmup, repeats);
        return (timing, 2.0 * n * n * n / (timing.MedianMs / 1000) / 1e9);
    }
}
