using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.PromptLearning.MLNet;

/// <summary>Schema checks and reading of the label / text columns.</summary>
internal static class InputColumns
{
    /// <summary>Checks the estimator-side schema with messages that say what to do.</summary>
    public static SchemaShape.Column CheckTrainingSchema(IHost host, SchemaShape schema, ErnieTrainerOptionsBase o)
    {
        if (!schema.TryFindColumn(o.LabelColumnName, out var label))
            throw host.ExceptSchemaMismatch(nameof(schema), "label", o.LabelColumnName);
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
        int count = (int)label.Type.GetKeyCount();
        if (label.HasKeyValues())
        {
            VBuffer<ReadOnlyMemory<char>> values = default;
            label.GetKeyValues(ref values);
            var names = values.DenseValues().Select(v => v.ToString()).ToArray();
            if (names.Length == count) return names;
        }
        return Enumerable.Range(0, count).Select(i => i.ToString()).ToArray();
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
