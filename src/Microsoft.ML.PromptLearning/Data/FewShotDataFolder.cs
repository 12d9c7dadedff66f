using System.Text;
using Microsoft.ML;
using Microsoft.ML.Transforms;

namespace Microsoft.ML.PromptLearning.Data;

/// <summary>
/// A data folder in PaddleNLP's few-shot layout: <c>train.txt</c>, <c>dev.txt</c>, <c>test.txt</c> (<c>text\tlabel</c> per
/// line), <c>data.txt</c> (one unlabelled text per line) and <c>label.txt</c> (<c>label</c> or <c>label==word</c> per line; a
/// label listed again adds another word). UTF-8 with or without BOM, LF or CRLF. Malformed lines fail with file:line.
/// </summary>
public sealed partial class FewShotDataFolder
{
    private FewShotDataFolder(string path, IReadOnlyList<string> labels, IReadOnlyDictionary<string, string[]> labelWords)
    {
        Path = path;
        Labels = labels;
        LabelWords = labelWords;
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>Label names in label.txt order (the class order of every model trained on the folder).</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Label words per label (the label itself when label.txt gives none).</summary>
    public IReadOnlyDictionary<string, string[]> LabelWords { get; }

    /// <summary>Opens a folder and reads its label.txt.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">label.txt is missing, empty or malformed.</exception>
    public static FewShotDataFolder Open(string path)
    {
        if (File.Exists(path)) throw new DirectoryNotFoundException($"'{path}' is a file; give the data folder that holds train.txt, dev.txt, test.txt and label.txt.");
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"Data folder '{path}' does not exist.");
        var labelFile = System.IO.Path.Combine(path, "label.txt");
        if (!File.Exists(labelFile)) throw new InvalidDataException($"Data folder '{path}' has no label.txt (one label per line, optionally 'label==word').");
        var labels = new List<string>();
        var words = new Dictionary<string, List<string>>();
        int lineNumber = 0;
        foreach (var raw in ReadLines(labelFile))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var parts = line.Split("==");
            if (parts.Length > 2 || parts[0].Trim().Length == 0 || (parts.Length == 2 && parts[1].Trim().Length == 0))
                throw new InvalidDataException($"{labelFile}:{lineNumber}: expected 'label' or 'label==word', got '{line}'.");
            var label = parts[0].Trim();
            if (!words.TryGetValue(label, out var list)) { labels.Add(label); words[label] = list = new List<string>(); }
            if (parts.Length == 2) list.Add(parts[1].Trim());
        }
        if (labels.Count == 0) throw new InvalidDataException($"{labelFile} is empty; list one label per line.");
        var labelWords = labels.ToDictionary(l => l, l => words[l].Count > 0 ? words[l].Distinct().ToArray() : new[] { l });
        return new FewShotDataFolder(path, labels, labelWords);
    }

    /// <summary>
    /// A fitted <c>MapValueToKey</c> for the label column whose keys follow label.txt (class i = line i), so that every
    /// label gets a score even when a few-shot split lacks it, and all splits share one key.
    /// </summary>
    public ITransformer CreateLabelKeyMap(MLContext ml, string labelColumnName = "Label") =>
        ml.Transforms.Conversion.MapValueToKey(labelColumnName, keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByOccurrence)
            .Fit(ml.Data.LoadFromEnumerable(Labels.Select(l => new LabeledText { Text = "", Label = l })));

    private void RequireFile(string file, string fileName)
    {
        if (Directory.Exists(file)) throw new FileNotFoundException($"'{file}' is a folder; {fileName} must be a text file in data folder '{Path}'.", file);
        if (!File.Exists(file)) throw new FileNotFoundException($"Data folder '{Path}' has no {fileName}.", file);
    }

    /// <summary>Whether the folder has a file (e.g. "dev.txt").</summary>
    public bool Has(string fileName) => File.Exists(System.IO.Path.Combine(Path, fileName));

    /// <summary>Reads a labelled split (<c>text\tlabel</c>); every label must be in label.txt.</summary>
    public List<LabeledText> ReadLabeled(string fileName)
    {
        var file = System.IO.Path.Combine(Path, fileName);
        RequireFile(file, fileName);
        var known = new HashSet<string>(Labels);
        var rows = new List<LabeledText>();
        int lineNumber = 0;
        foreach (var raw in ReadLines(file))
        {
            lineNumber++;
            if (raw.Trim().Length == 0) continue;
            int tab = raw.LastIndexOf('\t');
            if (tab < 0) throw new InvalidDataException($"{file}:{lineNumber}: expected 'text<TAB>label', found no tab.");
            var text = raw[..tab].Trim();
            var label = raw[(tab + 1)..].Trim();
            if (text.Length == 0) throw new InvalidDataException($"{file}:{lineNumber}: the text is empty.");
            if (label.Length == 0)
                throw new InvalidDataException($"{file}:{lineNumber}: the label is empty; every line of multi-class data has one label. In multi-label data an empty field means " +
                    "none of the labels: train it as a multi-label task (prompt-learn --task multi-label; in C#, mlContext.MultiLabelClassification()).");
            if (!known.Contains(label) && MultiLabelHint(label) is { } hint) throw new InvalidDataException($"{file}:{lineNumber}: {hint}");
            if (!known.Contains(label))
                throw new InvalidDataException($"{file}:{lineNumber}: label '{label}' is not in label.txt (known: {string.Join(", ", Labels.Take(8))}{(Labels.Count > 8 ? ", …" : "")}).");
            rows.Add(new LabeledText { Text = text, Label = label });
        }
        if (rows.Count == 0) throw new InvalidDataException($"{file} has no examples.");
        return rows;
    }

    /// <summary>Reads unlabelled texts (one per line; a trailing <c>\tlabel</c> column is ignored).</summary>
    public List<string> ReadUnlabeled(string fileName = "data.txt")
    {
        var file = System.IO.Path.Combine(Path, fileName);
        RequireFile(file, fileName);
        var texts = ReadLines(file).Select(l => { int tab = l.IndexOf('\t'); return (tab >= 0 ? l[..tab] : l).Trim(); }).Where(l => l.Length > 0).ToList();
        if (texts.Count == 0) throw new InvalidDataException($"{file} has no texts.");
        return texts;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    private static List<string> ReadLines(string file)
    {
        var bytes = File.ReadAllBytes(file);
        int offset = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        var lines = new List<string>();
        int lineNumber = 0;
        while (offset <= bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', offset);
            if (end < 0) end = bytes.Length;
            lineNumber++;
            try { lines.Add(StrictUtf8.GetString(bytes, offset, end - offset).TrimEnd('\r')); }
            catch (DecoderFallbackException e) { throw new InvalidDataException($"{file}:{lineNumber}: not valid UTF-8; save the file as UTF-8.", e); }
            offset = end + 1;
        }
        return lines;
    }
}
