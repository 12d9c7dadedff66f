using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.PromptLearning.MLNet;

/// <summary>Schema checks and reading of the label / text columns.</summary>
internal static class InputColumns
{
    /// <summary>Checks the estimator-side schema with messages that say what to do; multi-label trainers need a vector of keys.</summary>
    public static SchemaShape.Column CheckTrainingSchema(IHost host, SchemaShape schema, ErnieTrainerOptionsBase o, bool multiLabel = false)
    {
        if (!schema.TryFindColumn(o.LabelColumnName, out var label))
            throw host.ExceptSchemaMismatch(nameof(schema), "label", o.LabelColumnName);
        bool keyVector = label.IsKey && label.Kind != SchemaShape.Column.VectorKind.Scalar;
        if (multiLabel && !keyVector)
            throw host.Except($"Label column '{o.LabelColumnName}' of a multi-label trainer must be a vector of keys (the labels of each row), not {label.GetTypeString()}. " +
                $"Map a string[] column with mlContext.Transforms.Conversion.MapValueToKey(\"{o.LabelColumnName}\"), or split an \"l1,l2\" text column first with " +
                $"mlContext.Transforms.Text.TokenizeIntoWords(\"{o.LabelColumnName}\", separators: new[] {{ ',' }}).");
        if (!multiLabel && keyVector)
            throw host.Except($"Label column '{o.LabelColumnName}' holds several labels per row ({label.GetTypeString()}): that is multi-label data. " +
                "Use the multi-label trainers of mlContext.MultiLabelClassification() (prompt-learn --task multi-label).");
        if (!label.IsKey)
            throw host.Except($"Label column '{o.LabelColumnName}' must be a key type, not {label.GetTypeString()}. " +
                $"Add mlContext.Transforms.Conversion.MapValueToKey(\"{o.LabelColumnName}\") before the trainer (and MapKeyToValue(\"{o.PredictedLabelColumnName}\") after it to get label names back).");
        CheckText(host, schema, o.TextColumnName, "text");
        if (!string.IsNullOrEmpty(o.TextPairColumnName)) CheckText(host, schema, o.TextPairColumnName, "text pair");
        return label;
    }

    private static void CheckText(IHost host, SchemaShape schema, string name, string role)
    {
        if (!schema.TryFindColumn(name, out var col))
            throw host.Except($"The {role} column '{name}' is missing from the data. Name the column with the texts in the trainer options ({(role == "text" ? "TextColumnName" : "TextPairColumnName")}).");
        if (col.Kind != SchemaShape.Column.VectorKind.Scalar || col.ItemType != TextDataViewType.Instance)
            throw host.Except($"The {role} column '{name}' must be a single string per row, not {col.GetTypeString()}.");
    }

    /// <summary>Checks a concrete schema (when scoring) for the text columns.</summary>
    public static void CheckScoringSchema(IHost host, DataViewSchema schema, string textColumn, string textPairColumn)
    {
        CheckText(host, SchemaShape.Create(schema), textColumn, "text");
        if (!string.IsNullOrEmpty(textPairColumn)) CheckText(host, SchemaShape.Create(schema), textPairColumn, "text pair");
    }

    /// <summary>Class names from the key column's KeyValues annotation ("0", "1", … when it has none).</summary>
    public static string[] LabelNames(DataViewSchema.Column label)
    {
        int count = KeyCount(label.Type);
        if (label.HasKeyValues())
        {
            VBuffer<ReadOnlyMemory<char>> values = default;
            label.GetKeyValues(ref values);
            var names = values.DenseValues().Select(v => v.ToString()).ToArray();
            if (names.Length == count) return names;
        }
        return Enumerable.Range(0, count).Select(i => i.ToString()).ToArray();
    }

    /// <summary>The key count of a key column or of the items of a vector of keys.</summary>
    public static int KeyCount(DataViewType type) => (int)(type is VectorDataViewType v ? v.ItemType : type).GetKeyCount();

    /// <summary>
    /// Reads all rows with their label sets from a vector-of-keys label column; repeats count once, and missing keys (0: a
    /// value outside the key's label set) are skipped and counted in <paramref name="missingKeys"/>.
    /// </summary>
    public static List<TextRow> ReadLabelSets(IDataView data, string textColumn, string textPairColumn, string labelColumn, out int missingKeys, Action checkAlive = null)
    {
        missingKeys = 0;
        var texts = Read(data, textColumn, textPairColumn, null, checkAlive);
        var label = data.Schema[labelColumn];
        var sets = new List<int[]>(texts.Count);
        using (var cursor = data.GetRowCursor(new[] { label }))
        {
            var getter = cursor.GetGetter<VBuffer<uint>>(label);
            VBuffer<uint> keys = default;
            while (cursor.MoveNext())
            {
                getter(ref keys);
                foreach (var k in keys.DenseValues()) if (k == 0) missingKeys++;
                sets.Add(keys.DenseValues().Where(k => k > 0).Select(k => (int)k - 1).Distinct().Order().ToArray());
            }
        }
        return texts.Select((t, i) => t with { LabelSet = sets[i] }).ToList();
    }

    /// <summary>Reads all rows (texts and, when <paramref name="labelColumn"/> is given, the label).</summary>
    public static List<TextRow> Read(IDataView data, string textColumn, string textPairColumn, string labelColumn, Action checkAlive = null)
    {
        var text = data.Schema[textColumn];
        var pair = string.IsNullOrEmpty(textPairColumn) ? (DataViewSchema.Column?)null : data.Schema[textPairColumn];
        var label = labelColumn is null ? (DataViewSchema.Column?)null : data.Schema[labelColumn];
        var columns = new List<DataViewSchema.Column> { text };
        if (pair is { } p) columns.Add(p);
        if (label is { } l) columns.Add(l);
        var rows = new List<TextRow>();
        using var cursor = data.GetRowCursor(columns);
        var textGetter = cursor.GetGetter<ReadOnlyMemory<char>>(text);
        var pairGetter = pair is { } pc ? cursor.GetGetter<ReadOnlyMemory<char>>(pc) : null;
        var labelGetter = label is { } lc ? cursor.GetGetter<uint>(lc) : null;
        ReadOnlyMemory<char> t = default, tp = default;
        uint key = 0;
        while (cursor.MoveNext())
        {
            if (rows.Count % 1024 == 0) checkAlive?.Invoke();
            textGetter(ref t);
            pairGetter?.Invoke(ref tp);
            labelGetter?.Invoke(ref key);
            rows.Add(new TextRow(t.ToString(), pairGetter is null ? null : tp.ToString(), labelGetter is null ? -1 : (int)key - 1));
        }
        return rows;
    }

    /// <summary>Reads the current row's text (and pair, when <paramref name="pairIndex"/> ≥ 0) of <paramref name="row"/> as an unlabelled <see cref="TextRow"/>.</summary>
    public static Func<TextRow> TextGetter(DataViewRow row, int textIndex, int pairIndex)
    {
        var textGetter = row.GetGetter<ReadOnlyMemory<char>>(row.Schema[textIndex]);
        var pairGetter = pairIndex >= 0 ? row.GetGetter<ReadOnlyMemory<char>>(row.Schema[pairIndex]) : null;
        ReadOnlyMemory<char> text = default, pair = default;
        return () =>
        {
            textGetter(ref text);
            pairGetter?.Invoke(ref pair);
            return new TextRow(text.ToString(), pairGetter is null ? null : pair.ToString(), -1);
        };
    }
}
