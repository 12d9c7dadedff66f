namespace Microsoft.ML.PromptLearning.MultiLabel;

/// <summary>
/// A label tree written as paths (PaddleNLP's hierarchical layout): a label <c>A##B</c> is the child <c>B</c> of the label
/// <c>A</c>, <c>A##B##C</c> a grandchild, and so on. Every node is a label of its own: the parent of each path must be a label
/// too. Labels without <c>##</c> are top-level nodes, so a flat label list is a tree of depth 1.
/// </summary>
/// <remarks>
/// <para><b>Consistency rule.</b> A predicted child implies its parent: <see cref="Complete(IEnumerable{int})"/> adds every
/// ancestor of every predicted node, so a prediction never holds <c>A##B</c> without <c>A</c>. A parent may be predicted
/// without any child (the text is about <c>A</c> but no listed subtype fits). Scores are not changed; only the predicted
/// label set is completed.</para>
/// <para>The default label word of a node is its last segment (<c>财经/交易##涨价</c> → <c>涨价</c>), because the
/// masked language model should predict the node's own name, not the path.</para>
/// </remarks>
public sealed class LabelHierarchy
{
    /// <summary>The separator between the segments of a path.</summary>
    public const string Separator = "##";

    private readonly string[] labels;
    private readonly int[] parents;
    private readonly int[] levels;

    private LabelHierarchy(string[] labels, int[] parents, int[] levels)
    {
        this.labels = labels;
        this.parents = parents;
        this.levels = levels;
        Depth = levels.Length == 0 ? 0 : levels.Max();
    }

    /// <summary>The labels (nodes) in class order.</summary>
    public IReadOnlyList<string> Labels => labels;

    /// <summary>Number of levels (1 for a flat label list).</summary>
    public int Depth { get; }

    /// <summary>Class index of the parent of <paramref name="label"/>, or -1 for a top-level node.</summary>
    public int ParentOf(int label) => parents[label];

    /// <summary>Level of <paramref name="label"/>: 1 for top-level nodes, 2 for their children, …</summary>
    public int LevelOf(int label) => levels[label];

    /// <summary>Class indices of the nodes on <paramref name="level"/> (1-based), in class order.</summary>
    public IReadOnlyList<int> LabelsAtLevel(int level) => Enumerable.Range(0, labels.Length).Where(i => levels[i] == level).ToArray();

    /// <summary>The last segment of a path (<c>A##B</c> → <c>B</c>): a node's default label word.</summary>
    public static string LastSegment(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        int at = label.LastIndexOf(Separator, StringComparison.Ordinal);
        return at < 0 ? label : label[(at + Separator.Length)..];
    }

    /// <summary>Whether some label is a path (contains <see cref="Separator"/>).</summary>
    public static bool IsHierarchical(IEnumerable<string> labels) => labels.Any(l => l.Contains(Separator, StringComparison.Ordinal));

    /// <summary>Builds the tree from its labels.</summary>
    /// <param name="labels">Every node, parents included, in class order.</param>
    /// <param name="locations">Where each label was read (e.g. <c>label.txt:12</c>), used in error messages; null = the label's position.</param>
    /// <exception cref="InvalidDataException">A path has an empty segment, or its parent is not among the labels.</exception>
    public static LabelHierarchy Create(IReadOnlyList<string> labels, IReadOnlyList<string> locations = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Count; i++) index.TryAdd(labels[i], i);
        string Where(int i) => locations is not null && i < locations.Count ? locations[i] : $"label {i + 1}";
        var parents = new int[labels.Count];
        var levels = new int[labels.Count];
        for (int i = 0; i < labels.Count; i++)
        {
            var segments = labels[i].Split(Separator);
            if (segments.Any(s => s.Trim().Length == 0))
                throw new InvalidDataException($"{Where(i)}: '{labels[i]}' has an empty segment; a path is 'parent{Separator}child' with non-empty names.");
            levels[i] = segments.Length;
            if (segments.Length == 1) { parents[i] = -1; continue; }
            var parent = string.Join(Separator, segments[..^1]);
            if (!index.TryGetValue(parent, out parents[i]))
                throw new InvalidDataException($"{Where(i)}: the parent '{parent}' of '{labels[i]}' is not in label.txt; every node of the tree must be listed, so add a line '{parent}'.");
        }
        return new LabelHierarchy(labels.ToArray(), parents, levels);
    }

    /// <summary>The ancestors of <paramref name="label"/>, nearest first.</summary>
    public IEnumerable<int> AncestorsOf(int label)
    {
        for (int p = parents[label]; p >= 0; p = parents[p]) yield return p;
    }

    /// <summary>Applies the consistency rule: the given labels plus all their ancestors, sorted by class index.</summary>
    public int[] Complete(IEnumerable<int> predicted)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        var set = new SortedSet<int>();
        foreach (var label in predicted)
        {
            if (label < 0 || label >= labels.Length) throw new ArgumentOutOfRangeException(nameof(predicted), $"Label index {label} is outside 0..{labels.Length - 1}.");
            if (!set.Add(label)) continue;
            foreach (var a in AncestorsOf(label)) set.Add(a);
        }
        return set.ToArray();
    }

    /// <summary>The first (label, missing parent) pair where a set names a node without its parent, or null when the set is consistent.</summary>
    public (int Label, int Parent)? FindMissingParent(IReadOnlyCollection<int> set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var members = set as ISet<int> ?? new HashSet<int>(set);
        foreach (var label in set)
            if (parents[label] >= 0 && !members.Contains(parents[label])) return (label, parents[label]);
        return null;
    }
}
