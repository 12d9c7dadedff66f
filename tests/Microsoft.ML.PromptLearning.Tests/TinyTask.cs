using Microsoft.ML;
using Microsoft.ML.Data;

namespace Microsoft.ML.PromptLearning.Tests;

/// <summary>A small, perfectly separable two-class (plus one unseen class) text task over characters of the tiny-ernie vocab.</summary>
internal static class TinyTask
{
    public sealed class Row
    {
        public string Text { get; set; }
        public string Label { get; set; }
    }

    public static readonly string[] Labels = { "教育", "经济", "体育" };   // "体育" never appears in training rows

    public static List<Row> Rows(int perClass, int seed)
    {
        var rng = new Random(seed);
        const string education = "学生教育大学高中老师文化";
        const string economy = "经济市场公司产品银行发展";
        string Make(string pool) => new(Enumerable.Range(0, rng.Next(4, 9)).Select(_ => pool[rng.Next(pool.Length)]).ToArray());
        var rows = new List<Row>();
        for (int i = 0; i < perClass; i++)
        {
            rows.Add(new Row { Text = Make(education), Label = "教育" });
            rows.Add(new Row { Text = Make(economy), Label = "经济" });
        }
        return rows;
    }

    /// <summary>Loads rows and maps the label to a key over all three labels (so the unseen one still gets a score).</summary>
    public static (IDataView Data, ITransformer KeyMap) Load(MLContext ml, IEnumerable<Row> rows)
    {
        var data = ml.Data.LoadFromEnumerable(rows);
        var keyData = ml.Data.LoadFromEnumerable(Labels.Select(l => new Row { Text = "", Label = l }));
        var keyMap = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByOccurrence)
            .Fit(keyData);
        return (keyMap.Transform(data), keyMap);
    }
}
