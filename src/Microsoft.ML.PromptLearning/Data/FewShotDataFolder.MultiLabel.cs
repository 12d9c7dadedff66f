using Microsoft.ML.PromptLearning.MultiLabel;
using Microsoft.ML.Transforms;

namespace Microsoft.ML.PromptLearning.Data;

public sealed partial class FewShotDataFolder
{
    /// <summary>
    /// Reads a multi-label split: <c>text\tlabel1,label2,…</c> per line (PaddleNLP's multi-label and hierarchical layout). An
    /// empty label field (<c>text\t</c>) is legal and means "none of the labels".
    /// </summary>
    /// <exception cref="InvalidDataException">A line has no tab or no text, names a label that is not in label.txt, names a
    /// label twice, or has an empty entry between commas; the message gives file:line.</exception>
    public List<MultiLabeledText> ReadMultiLabeled(string fileName)
    {
        var file = System.IO.Path.Combine(Path, fileName);
        RequireFile(file, fileName);
        var known = new HashSet<string>(Labels, StringComparer.Ordinal);
        var rows = new List<MultiLabeledText>();
        int lineNumber = 0;
        foreach (var raw in ReadLines(file))
        {
            lineNumber++;
            if (raw.Trim().Length == 0) continue;
            int tab = raw.LastIndexOf('\t');
            if (tab < 0) throw new InvalidDataException($"{file}:{lineNumber}: expected 'text<TAB>label1,label2' (an empty label list still needs the tab), found no tab.");
            var text = raw[..tab].Trim();
            var field = raw[(tab + 1)..].Trim();
            if (text.Length == 0) throw new InvalidDataException($"{file}:{lineNumber}: the text is empty.");
            var labels = field.Length == 0 ? [] : field.Split(',').Select(l => l.Trim()).ToArray();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var label in labels)
            {
                if (label.Length == 0) throw new InvalidDataException($"{file}:{lineNumber}: the label list '{field}' has an empty entry; separate labels by single commas.");
                if (!known.Contains(label))
                    throw new InvalidDataException($"{file}:{lineNumber}: label '{label}' is not in label.txt (known: {string.Join(", ", Labels.Take(8))}{(Labels.Count > 8 ? ", …" : "")}).");
                if (!seen.Add(label)) throw new InvalidDataException($"{file}:{lineNumber}: label '{label}' is listed twice; list each label of a text once.");
            }
            rows.Add(new MultiLabeledText { Text = text, Labels = labels });
        }
        if (rows.Count == 0) throw new InvalidDataException($"{file} has no examples.");
        return rows;
    }

    /// <summary>
    /// Reads a hierarchical split: as <see cref="ReadMultiLabeled"/>, and every line must list the whole path of each of its
    /// nodes (<c>A,A##B</c>, never <c>A##B</c> alone), as PaddleNLP's hierarchical data does.
    /// </summary>
    /// <exception cref="InvalidDataException">As for <see cref="ReadMultiLabeled"/>, or a line names a node without its parent.</exception>
    public List<MultiLabeledText> ReadHierarchical(string fileName)
    {
        var hierarchy = Hierarchy();
        var rows = ReadMultiLabeled(fileName);
        var index = Labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var file = System.IO.Path.Combine(Path, fileName);
        // Line numbers for the message: blank lines are skipped by the reader, so find the row's line again.
        for (int r = 0; r < rows.Count; r++)
        {
            if (hierarchy.FindMissingParent(rows[r].Labels.Select(l => index[l]).ToArray()) is not { } missing) continue;
            int line = LineOf(file, rows, r);
            throw new InvalidDataException($"{file}:{line}: '{Labels[missing.Label]}' is listed without its parent '{Labels[missing.Parent]}'; " +
                $"hierarchical data lists every node of the path (e.g. '{Labels[missing.Parent]},{Labels[missing.Label]}').");
        }
        return rows;
    }

    /// <summary>The label tree of label.txt (every path's parent must be listed there).</summary>
    /// <exception cref="InvalidDataException">A path's parent is missing from label.txt, or a path has an empty segment (file:line).</exception>
    public LabelHierarchy Hierarchy()
    {
        var labelFile = System.IO.Path.Combine(Path, "label.txt");
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        var lines = ReadLines(labelFile);
        for (int n = 0; n < lines.Count; n++)
        {
            var line = lines[n].Trim();
            if (line.Length == 0) continue;
            int sep = line.IndexOf("==", StringComparison.Ordinal);
            firstLine.TryAdd((sep < 0 ? line : line[..sep]).Trim(), n + 1);
        }
        return LabelHierarchy.Create(Labels, Labels.Select(l => $"{labelFile}:{firstLine[l]}").ToArray());
    }

    /// <summary>
    /// Label words of a hierarchical task: the words label.txt gives, and for a node without one its last segment
    /// (<c>财经/交易##涨价</c> → <c>涨价</c>, see <see cref="LabelHierarchy.LastSegment"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string[]> NodeLabelWords() =>
        Labels.ToDictionary(l => l, l => LabelWords[l] is [var only] && only == l ? new[] { LabelHierarchy.LastSegment(l) } : LabelWords[l], StringComparer.Ordinal);

    private static int LineOf(string file, List<MultiLabeledText> rows, int row)
    {
        int seen = -1, lineNumber = 0;
        foreach (var raw in ReadLines(file))
        {
            lineNumber++;
            if (raw.Trim().Length > 0 && ++seen == row) return lineNumber;
        }
        return lineNumber;
    }

    /// <summary>
    /// A fitted <c>MapValueToKey</c> for a multi-label column (<c>string[]</c>, as in <see cref="MultiLabeledText.Labels"/>) whose
    /// keys follow label.txt, so that every label gets a score even when a split lacks it, and all splits share one key.
    /// </summary>
    public ITransformer CreateLabelSetKeyMap(MLContext ml, string labelColumnName = "Label") =>
        ml.Transforms.Conversion.MapValueToKey(labelColumnName, nameof(MultiLabeledText.Labels), keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByOccurrence)
            .Fit(ml.Data.LoadFromEnumerable(new[] { new MultiLabeledText { Text = "", Labels = Labels.ToArray() } }));

    /// <summary>A hint for a label field of a multi-class file that lists several known labels (multi-label data), or null.</summary>
    private string MultiLabelHint(string field)
    {
        if (!field.Contains(',')) return null;
        var parts = field.Split(',').Select(p => p.Trim()).Where(p => p.Length > 0).ToArray();
        if (parts.Length < 2 || !parts.All(Labels.Contains)) return null;
        var task = LabelHierarchy.IsHierarchical(parts) ? "hierarchical" : "multi-label";
        return $"'{field}' lists {parts.Length} labels, so this is {task} data, not multi-class data: train it as a {task} task " +
               $"(prompt-learn --task {task}; in C#, mlContext.MultiLabelClassification()).";
    }
}
