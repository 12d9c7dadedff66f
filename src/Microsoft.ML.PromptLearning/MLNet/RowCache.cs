using Microsoft.ML.Data;

namespace Microsoft.ML.PromptLearning.MLNet;

/// <summary>Per-row caching for row mappers whose output columns share one computation (e.g. PredictedLabel and Score from one scoring).</summary>
internal static class RowCache
{
    /// <summary>
    /// A function that returns <paramref name="compute"/>'s value for the row <paramref name="input"/> is on, computing it
    /// once per row however many getters ask.
    /// </summary>
    public static Func<T> PerRow<T>(DataViewRow input, Func<T> compute) where T : class
    {
        long cachedPosition = -1;
        T value = null;
        return () =>
        {
            if (cachedPosition != input.Position || value is null)
            {
                value = compute();
                cachedPosition = input.Position;
            }
            return value;
        };
    }
}
