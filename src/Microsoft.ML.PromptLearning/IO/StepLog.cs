using System.Text.Json;

namespace Microsoft.ML.PromptLearning;

/// <summary>JSON-lines logs whose rows carry a <c>"step"</c> (training metrics), as resumable runs keep them.</summary>
internal static class StepLog
{
    /// <summary>
    /// Keeps only the rows of steps up to <paramref name="step"/>: a run resumed from that step writes the later rows again.
    /// Rows that do not parse or have no step are dropped (a line cut off by a kill, for instance).
    /// </summary>
    public static void KeepUpToStep(string path, long step)
    {
        if (!File.Exists(path)) return;
        var kept = File.ReadAllLines(path).Where(l =>
        {
            try
            {
                using var row = JsonDocument.Parse(l);
                return row.RootElement.TryGetProperty("step", out var s) && s.GetInt64() <= step;
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException) { return false; }
        });
        AtomicFile.WriteAllText(path, string.Concat(kept.Select(l => l + "\n")));
    }
}
