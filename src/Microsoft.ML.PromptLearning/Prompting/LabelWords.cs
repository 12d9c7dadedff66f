using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>
/// The labels of a classification task and, for each label, the words the masked language model should predict for it
/// (PaddleNLP's <c>label_words</c>). Label order defines class ids.
/// </summary>
/// <remarks>
/// Labels keep the order in which they are given (file order for <see cref="FromLabelFile"/>). PaddleNLP sorts the labels
/// instead; keeping the order lets class ids follow the user's file and ML.NET's key ordering. Repeating a
/// (label, word) pair adds nothing: duplicates are dropped.
/// </remarks>
public sealed class LabelWords
{
    private readonly string[] labels;
    private readonly string[][] words;
    private readonly Dictionary<string, int> index;

    private LabelWords(string[] labels, string[][] words)
    {
        this.labels = labels;
        this.words = words;
        index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Length; i++) index[labels[i]] = i;
    }

    /// <summary>The labels in class-id order.</summary>
    public IReadOnlyList<string> Labels => labels;

    /// <summary>Number of labels.</summary>
    public int Count => labels.Length;

    /// <summary>The words of a label (at least one).</summary>
    /// <exception cref="KeyNotFoundException">The label is unknown.</exception>
    public IReadOnlyList<string> this[string label] => words[IndexOf(label)];

    /// <summary>The words of the label with class id <paramref name="classId"/>.</summary>
    public IReadOnlyList<string> WordsOf(int classId) => words[classId];

    /// <summary>Class id of <paramref name="label"/>.</summary>
    /// <exception cref="KeyNotFoundException">The label is unknown.</exception>
    public int IndexOf(string label) => index.TryGetValue(label ?? throw new ArgumentNullException(nameof(label)), out var i)
        ? i
        : throw new KeyNotFoundException($"Unknown label '{label}'; the labels are: {string.Join(", ", labels)}.");

    /// <summary>Whether <paramref name="label"/> is one of the labels.</summary>
    public bool Contains(string label) => label is not null && index.ContainsKey(label);

    /// <summary>
    /// Reads a PaddleNLP <c>label.txt</c>: one line per label, <c>label</c> (the label is its own word) or
    /// <c>label==word</c>; a label on several lines gets several words. Blank lines are ignored, a UTF-8 BOM and CRLF line
    /// ends are accepted, and spaces around the label and the word are trimmed.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line is malformed (the message names the file and line).</exception>
    public static LabelWords FromLabelFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Label file '{path}' does not exist.", path);
        return Parse(File.ReadAllText(path, Encoding.UTF8), path);
    }

    /// <summary>Parses the text of a <c>label.txt</c> (see <see cref="FromLabelFile"/>); <paramref name="sourceName"/> appears in errors.</summary>
    public static LabelWords Parse(string text, string sourceName = "label.txt")
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var order = new List<string>();
        var map = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            var line = lines[n].Trim();
            if (line.Length == 0) continue;
            string where = $"{sourceName}:{n + 1}";
            string label, word;
            int sep = line.IndexOf("==", StringComparison.Ordinal);
            if (sep < 0) label = word = line;
            else
            {
                if (line.IndexOf("==", sep + 2, StringComparison.Ordinal) >= 0)
                    throw new InvalidDataException($"{where}: '{line}' has more than one '=='; write one 'label==word' per line.");
                label = line[..sep].Trim();
                word = line[(sep + 2)..].Trim();
                if (label.Length == 0) throw new InvalidDataException($"{where}: '{line}' has no label before '=='.");
                if (word.Length == 0) throw new InvalidDataException($"{where}: '{line}' has no word after '=='; write 'label==word' or just 'label'.");
            }
            if (!map.TryGetValue(label, out var list))
            {
                map[label] = list = new List<string>();
                order.Add(label);
            }
            if (!list.Contains(word)) list.Add(word);
        }
        if (order.Count == 0) throw new InvalidDataException($"{sourceName} has no labels.");
        return new LabelWords(order.ToArray(), order.Select(l => map[l].ToArray()).ToArray());
    }

    /// <summary>Label words from a dictionary, in its enumeration order.</summary>
    /// <exception cref="ArgumentException">A label or word is empty, or a label has no words.</exception>
    public static LabelWords FromDictionary(IReadOnlyDictionary<string, string[]> labelWords)
    {
        ArgumentNullException.ThrowIfNull(labelWords);
        if (labelWords.Count == 0) throw new ArgumentException("No labels were given.", nameof(labelWords));
        var labels = new List<string>();
        var words = new List<string[]>();
        foreach (var (label, list) in labelWords)
        {
            if (string.IsNullOrWhiteSpace(label)) throw new ArgumentException("A label is empty.", nameof(labelWords));
            if (list is null || list.Length == 0) throw new ArgumentException($"Label '{label}' has no words.", nameof(labelWords));
            foreach (var w in list)
                if (string.IsNullOrWhiteSpace(w)) throw new ArgumentException($"Label '{label}' has an empty word.", nameof(labelWords));
            labels.Add(label);
            words.Add(list.Distinct(StringComparer.Ordinal).ToArray());
        }
        return new LabelWords(labels.ToArray(), words.ToArray());
    }

    /// <summary>Labels that are their own words (<c>label.txt</c> without <c>==</c>).</summary>
    public static LabelWords FromLabels(IEnumerable<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var list = labels.ToList();
        if (list.Distinct(StringComparer.Ordinal).Count() != list.Count) throw new ArgumentException("Labels are repeated.", nameof(labels));
        return FromDictionary(list.ToDictionary(l => l, l => new[] { l }, StringComparer.Ordinal));
    }

    /// <summary>The <c>label.txt</c> form (one <c>label==word</c> line per word), which <see cref="Parse"/> reads back.</summary>
    public string ToLabelFileText()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < labels.Length; i++)
            foreach (var w in words[i]) sb.Append(labels[i]).Append("==").Append(w).Append('\n');
        return sb.ToString();
    }

    /// <summary>JSON object <c>{"label": ["word", …], …}</c> in label order (PaddleNLP's <c>verbalizer_config.json</c> shape).</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject();
        for (int i = 0; i < labels.Length; i++) o[labels[i]] = new JsonArray(words[i].Select(w => (JsonNode)w).ToArray());
        return o;
    }

    /// <summary>Reads <see cref="ToJson"/>'s form; a single string instead of a word list is accepted too.</summary>
    public static LabelWords FromJson(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var dict = new Dictionary<string, string[]>();
        foreach (var (label, node) in json)
        {
            dict[label] = node switch
            {
                JsonArray a => a.Select(x => x?.GetValueKind() == JsonValueKind.String ? x.GetValue<string>() : throw new InvalidDataException($"Label '{label}' has a word that is not a string.")).ToArray(),
                JsonValue v when v.GetValueKind() == JsonValueKind.String => [v.GetValue<string>()],
                _ => throw new InvalidDataException($"Label '{label}' must map to a word or a list of words."),
            };
        }
        return FromDictionary(dict);
    }
}
