using System.Text.Json.Serialization;
using Microsoft.ML.PromptLearning.Tokenization;

namespace Microsoft.ML.PromptLearning.Pretraining;

/// <summary>Where a <see cref="PackedSequenceStream"/> stands: enough to continue exactly after a restart.</summary>
internal sealed class StreamPosition
{
    /// <summary>Pass over the data (each pass uses a new shuffle).</summary>
    public int Epoch { get; set; }
    /// <summary>Index into the epoch's shuffled line order of the next line to read.</summary>
    public int Cursor { get; set; }
    /// <summary>Tokens read but not yet emitted (the start of the next sequence).</summary>
    public List<int> Carry { get; set; } = new();
    /// <summary>Word-start flags of <see cref="Carry"/> (streams with a word segmenter only; null otherwise).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<bool> CarryWordStarts { get; set; }
}

/// <summary>One packed training sequence.</summary>
/// <param name="Ids">Exactly <c>length</c> token ids: <c>[CLS] … [SEP]</c>.</param>
/// <param name="WordStarts">Per token, whether it begins a word (whole-word masking); null when the stream has no word segmenter.</param>
internal sealed record PackedSequence(int[] Ids, bool[] WordStarts);

/// <summary>
/// Turns lines of text into fixed-length training sequences without padding: lines are shuffled per epoch, tokenized,
/// joined with [SEP] and cut into <c>[CLS] … [SEP]</c> blocks of exactly <c>length</c> tokens (a line may continue in the next block).
/// With a word segmenter, every token also carries whether it begins a word (for whole-word masking); the ids are the
/// same as without one.
/// </summary>
internal sealed class PackedSequenceStream
{
    private readonly IReadOnlyList<string> lines;
    private readonly ErnieTokenizer tokenizer;
    private readonly int length;
    private readonly int seed;
    private readonly IWordSegmenter wordSegmenter;
    private int[] order;
    private int orderEpoch = -1;

    /// <param name="lines">The texts (kept in memory).</param>
    /// <param name="tokenizer">Tokenizer of the model.</param>
    /// <param name="length">Sequence length including [CLS] and the final [SEP].</param>
    /// <param name="seed">Shuffle seed; epoch e uses seed + e.</param>
    /// <param name="position">Where to start (null = the beginning).</param>
    /// <param name="wordSegmenter">Splits lines into words to mark word starts (null = no word information).</param>
    public PackedSequenceStream(IReadOnlyList<string> lines, ErnieTokenizer tokenizer, int length, int seed, StreamPosition position = null,
        IWordSegmenter wordSegmenter = null)
    {
        if (lines.Count == 0) throw new ArgumentException("There are no texts to train on.", nameof(lines));
        if (length < 8) throw new ArgumentOutOfRangeException(nameof(length), "Sequences must be at least 8 tokens long.");
        this.lines = lines;
        this.tokenizer = tokenizer;
        this.length = length;
        this.seed = seed;
        this.wordSegmenter = wordSegmenter;
        Position = position ?? new StreamPosition();
    }

    /// <summary>The current position (saved in checkpoints).</summary>
    public StreamPosition Position { get; }

    /// <summary>Produces the next sequence, with word-start flags when the stream has a word segmenter.</summary>
    public PackedSequence NextSequence() => wordSegmenter is null ? new PackedSequence(Next(), null) : NextWithWords();

    /// <summary>Produces the next sequence of exactly <c>length</c> ids.</summary>
    public int[] Next()
    {
        if (wordSegmenter is not null) return NextWithWords().Ids;
        int body = length - 2;
        var carry = Position.Carry;
        while (carry.Count < body)
        {
            var line = NextLine();
            if (carry.Count > 0) carry.Add(tokenizer.SepId);
            carry.AddRange(tokenizer.Tokenize(line));
        }
        var seq = new int[length];
        seq[0] = tokenizer.ClsId;
        for (int i = 0; i < body; i++) seq[i + 1] = carry[i];
        seq[^1] = tokenizer.SepId;
        carry.RemoveRange(0, body);
        if (carry.Count > 0 && carry[0] == tokenizer.SepId) carry.RemoveAt(0);
        return seq;
    }

    private PackedSequence NextWithWords()
    {
        int body = length - 2;
        var carry = Position.Carry;
        var starts = Position.CarryWordStarts ??= new List<bool>();
        if (starts.Count != carry.Count)
        {
            // A position saved without word information (e.g. a run that started without whole-word masking).
            starts.Clear();
            starts.AddRange(carry.Select(id => !IsContinuationPiece(id)));
        }
        while (carry.Count < body)
        {
            var line = NextLine();
            if (carry.Count > 0) { carry.Add(tokenizer.SepId); starts.Add(true); }
            var (ids, wordStarts) = TokenizeWords(tokenizer, wordSegmenter, line);
            carry.AddRange(ids);
            starts.AddRange(wordStarts);
        }
        var seq = new int[length];
        var flags = new bool[length];
        seq[0] = tokenizer.ClsId;
        flags[0] = true;
        for (int i = 0; i < body; i++) { seq[i + 1] = carry[i]; flags[i + 1] = starts[i]; }
        seq[^1] = tokenizer.SepId;
        flags[^1] = true;
        carry.RemoveRange(0, body);
        starts.RemoveRange(0, body);
        if (carry.Count > 0 && carry[0] == tokenizer.SepId) { carry.RemoveAt(0); starts.RemoveAt(0); }
        return new PackedSequence(seq, flags);
    }

    private bool IsContinuationPiece(int id) => tokenizer.IdToToken(id).StartsWith("##", StringComparison.Ordinal);

    /// <summary>
    /// Tokenizes <paramref name="text"/> exactly as <see cref="ErnieTokenizer.Tokenize"/> does and marks the first token of
    /// every word. Words are aligned to the tokens by tokenizing them one by one; where the segmenter splits inside a
    /// token (a word the tokenizer keeps whole, e.g. full-width digits), consecutive words are merged until they match.
    /// Tokens that cannot be aligned fall back to WordPiece's rule: a <c>##</c> piece continues the previous token's word.
    /// </summary>
    internal static (List<int> Ids, List<bool> WordStarts) TokenizeWords(ErnieTokenizer tokenizer, IWordSegmenter segmenter, string text)
    {
        const int MaxMergedChars = 64;
        var ids = tokenizer.Tokenize(text);
        var starts = new List<bool>(new bool[ids.Count]);
        int p = 0;
        var pending = new System.Text.StringBuilder();
        foreach (var word in segmenter.Segment(text))
        {
            if (p >= ids.Count) break;
            pending.Append(word);
            var pieces = tokenizer.Tokenize(pending.ToString());
            if (pieces.Count == 0) { pending.Clear(); continue; }   // whitespace
            if (p + pieces.Count <= ids.Count && Matches(ids, p, pieces))
            {
                starts[p] = true;
                p += pieces.Count;
                pending.Clear();
            }
            else if (pending.Length > MaxMergedChars) break;
        }
        for (int i = p; i < ids.Count; i++) starts[i] = !tokenizer.IdToToken(ids[i]).StartsWith("##", StringComparison.Ordinal);
        return (ids, starts);

        static bool Matches(List<int> ids, int at, List<int> pieces)
        {
            for (int i = 0; i < pieces.Count; i++) if (ids[at + i] != pieces[i]) return false;
            return true;
        }
    }

    private string NextLine()
    {
        if (Position.Cursor >= lines.Count)
        {
            Position.Epoch++;
            Position.Cursor = 0;
        }
        if (orderEpoch != Position.Epoch)
        {
            order = Enumerable.Range(0, lines.Count).ToArray();
            new Random(seed + Position.Epoch).Shuffle(order);
            orderEpoch = Position.Epoch;
        }
        return lines[order[Position.Cursor++]];
    }
}
