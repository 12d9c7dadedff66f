using Microsoft.ML.PromptLearning.Tokenization;

namespace Microsoft.ML.PromptLearning.Pretraining;

/// <summary>Where a <see cref="PackedSequenceStream"/> stands: enough to continue exactly after a restart.</summary>
public sealed class StreamPosition
{
    /// <summary>Pass over the data (each pass uses a new shuffle).</summary>
    public int Epoch { get; set; }
    /// <summary>Index into the epoch's shuffled line order of the next line to read.</summary>
    public int Cursor { get; set; }
    /// <summary>Tokens read but not yet emitted (the start of the next sequence).</summary>
    public List<int> Carry { get; set; } = new();
}

/// <summary>
/// Turns lines of text into fixed-length training sequences without padding: lines are shuffled per epoch, tokenized,
/// joined with [SEP] and cut into <c>[CLS] … [SEP]</c> blocks of exactly <c>length</c> tokens (a line may continue in the next block).
/// </summary>
public sealed class PackedSequenceStream
{
    private readonly IReadOnlyList<string> lines;
    private readonly ErnieTokenizer tokenizer;
    private readonly int length;
    private readonly int seed;
    private int[] order;
    private int orderEpoch = -1;

    /// <param name="lines">The texts (kept in memory).</param>
    /// <param name="tokenizer">Tokenizer of the model.</param>
    /// <param name="length">Sequence length including [CLS] and the final [SEP].</param>
    /// <param name="seed">Shuffle seed; epoch e uses seed + e.</param>
    /// <param name="position">Where to start (null = the beginning).</param>
    public PackedSequenceStream(IReadOnlyList<string> lines, ErnieTokenizer tokenizer, int length, int seed, StreamPosition position = null)
    {
        if (lines.Count == 0) throw new ArgumentException("There are no texts to train on.", nameof(lines));
        if (length < 8) throw new ArgumentOutOfRangeException(nameof(length), "Sequences must be at least 8 tokens long.");
        this.lines = lines;
        this.tokenizer = tokenizer;
        this.length = length;
        this.seed = seed;
        Position = position ?? new StreamPosition();
    }

    /// <summary>The current position (saved in checkpoints).</summary>
    public StreamPosition Position { get; }

    /// <summary>Produces the next sequence of exactly <c>length</c> ids.</summary>
    public int[] Next()
    {
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
