using Microsoft.ML;
using Microsoft.ML.PromptLearning.Data;

namespace Microsoft.ML.PromptLearning.Tests;

/// <summary>
/// A small multi-label task over characters of the tiny-ernie vocab: "school" when the text has a 学生/教育/大学 word,
/// "business" for 公司/产品/市场, both, or none; "sport" never occurs (it still gets a score).
/// </summary>
internal static class TinyMultiLabelTask
{
    public static readonly string[] Labels = ["school", "business", "sport"];

    public static readonly Dictionary<string, string[]> Words = new() { ["school"] = ["学生"], ["business"] = ["公司"], ["sport"] = ["体育"] };

    /// <summary>Texts and their label indices (0 = school, 1 = business); every fourth row has no label.</summary>
    public static List<(string Text, int[] Labels)> Rows(int count, int seed)
    {
        var rng = new Random(seed);
        string[] school = ["学生", "教育", "大学"], business = ["公司", "产品", "市场"], neutral = ["山水", "天地", "月日"];
        var rows = new List<(string, int[])>();
        for (int i = 0; i < count; i++)
        {
            int[] labels = (i % 4) switch { 0 => [], 1 => [0], 2 => [1], _ => [0, 1] };
            var parts = new List<string> { neutral[rng.Next(3)] };
            if (labels.Contains(0)) parts.Add(school[rng.Next(3)]);
            if (labels.Contains(1)) parts.Add(business[rng.Next(3)]);
            parts.Add(neutral[rng.Next(3)]);
            rows.Add((string.Concat(parts.OrderBy(_ => rng.Next())), labels));
        }
        return rows;
    }

    /// <summary>The rows as <see cref="MultiLabeledText"/> (label names).</summary>
    public static List<MultiLabeledText> Texts(int count, int seed) =>
        Rows(count, seed).Select(r => new MultiLabeledText { Text = r.Text, Labels = r.Labels.Select(i => Labels[i]).ToArray() }).ToList();

    /// <summary>A key map over all three labels in this order (a vector-of-keys "Label" column from the "Labels" string[] column).</summary>
    public static ITransformer KeyMap(MLContext ml) =>
        ml.Transforms.Conversion.MapValueToKey("Label", nameof(MultiLabeledText.Labels), keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByOccurrence)
            .Fit(ml.Data.LoadFromEnumerable(new[] { new MultiLabeledText { Text = "", Labels = Labels } }));
}
