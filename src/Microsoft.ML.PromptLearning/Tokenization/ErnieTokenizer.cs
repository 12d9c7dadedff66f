using System.Text;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.PromptLearning.Tokenization;

/// <summary>A single text or text pair encoded with special tokens: <c>[CLS] a [SEP]</c> or <c>[CLS] a [SEP] b [SEP]</c>.</summary>
/// <param name="InputIds">Token ids.</param>
/// <param name="TokenTypeIds">0 for the first segment (with its [CLS] and [SEP]), 1 for the second.</param>
public sealed record EncodedText(int[] InputIds, int[] TokenTypeIds)
{
    /// <summary>Tokens cut to fit the maximum length (0 when nothing was cut).</summary>
    public int DroppedTokens { get; init; }
}

/// <summary>
/// ERNIE / BERT tokenizer over a model's <c>vocab.txt</c>: Hugging Face's basic tokenization (lowercasing, CJK per
/// character, punctuation split, special tokens such as <c>[MASK]</c> kept whole) followed by WordPiece from
/// Microsoft.ML.Tokenizers. Special-token ids come from the file (ERNIE 3.0 keeps <c>[UNK]</c> on its last line).
/// </summary>
public sealed class ErnieTokenizer
{
    private readonly string[] vocabulary;
    private readonly Dictionary<string, int> ids;
    private readonly WordPieceTokenizer wordPiece;
    private readonly BasicTokenizer basic;
    private readonly Dictionary<string, int[]> wordCache = new();
    private readonly object cacheLock = new();

    private ErnieTokenizer(string vocabText, bool lowerCase)
    {
        VocabText = vocabText;
        // Split on '\n' only: bert-base-chinese has tokens that are U+2028 (a line separator for other readers).
        var lines = vocabText.Split('\n');
        int count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        vocabulary = new string[count];
        ids = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            var token = lines[i].TrimEnd('\r');
            vocabulary[i] = token;
            ids[token] = i;   // a token listed twice maps to its last line, as PaddleNLP does (ERNIE 3.0 lists '$' twice)
        }
        if (count == 0) throw new InvalidDataException("The vocabulary is empty.");

        UnknownId = Require("[UNK]");
        ClsId = Require("[CLS]");
        SepId = Require("[SEP]");
        PadId = Require("[PAD]");
        MaskId = Require("[MASK]");
        LowerCase = lowerCase;

        // WordPieceTokenizer rejects duplicate lines, so earlier duplicates get a placeholder that keeps every line's id; so does a
        // token with a '\r' inside (WordPieceTokenizer would read two lines; whitespace never reaches it inside a word anyway).
        var wpVocab = new StringBuilder(vocabText.Length + 64);
        for (int i = 0; i < count; i++)
            wpVocab.Append(ids[vocabulary[i]] == i && !vocabulary[i].Contains('\r') ? vocabulary[i] : $"[DUPLICATE-{i}]").Append('\n');
        wordPiece = WordPieceTokenizer.Create(new MemoryStream(Encoding.UTF8.GetBytes(wpVocab.ToString())),
            new WordPieceOptions { UnknownToken = "[UNK]", PreTokenizer = null, Normalizer = null });
        basic = new BasicTokenizer(vocabulary.Where(t => t.Length > 2 && t[0] == '[' && t[^1] == ']' && !t.StartsWith("[unused", StringComparison.Ordinal)
                                                        && !t.StartsWith("[DUPLICATE", StringComparison.Ordinal)), lowerCase);

        int Require(string token) => ids.TryGetValue(token, out var id)
            ? id
            : throw new InvalidDataException($"The vocabulary has no {token} token; an ERNIE/BERT vocab.txt must contain [PAD], [UNK], [CLS], [SEP] and [MASK].");
    }

    /// <summary>Loads a <c>vocab.txt</c> (one token per line, id = line index).</summary>
    public static ErnieTokenizer FromVocabFile(string path, bool lowerCase = true)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Vocabulary file '{path}' does not exist.", path);
        try { return new ErnieTokenizer(File.ReadAllText(path, Encoding.UTF8), lowerCase); }
        catch (InvalidDataException e) { throw new InvalidDataException($"Vocabulary file '{path}': {e.Message}", e); }
    }

    /// <summary>Builds a tokenizer from the text of a <c>vocab.txt</c>.</summary>
    public static ErnieTokenizer FromVocabText(string vocabText, bool lowerCase = true) => new(vocabText, lowerCase);

    /// <summary>The text of the vocabulary file (kept for saving).</summary>
    public string VocabText { get; }
    /// <summary>Whether text is lowercased and stripped of accents.</summary>
    public bool LowerCase { get; }
    /// <summary>Number of lines of the vocabulary.</summary>
    public int VocabSize => vocabulary.Length;
    /// <summary>Id of <c>[UNK]</c>.</summary>
    public int UnknownId { get; }
    /// <summary>Id of <c>[CLS]</c>.</summary>
    public int ClsId { get; }
    /// <summary>Id of <c>[SEP]</c>.</summary>
    public int SepId { get; }
    /// <summary>Id of <c>[PAD]</c>.</summary>
    public int PadId { get; }
    /// <summary>Id of <c>[MASK]</c>.</summary>
    public int MaskId { get; }

    /// <summary>The token on line <paramref name="id"/>.</summary>
    public string IdToToken(int id) => id >= 0 && id < vocabulary.Length ? vocabulary[id] : throw new ArgumentOutOfRangeException(nameof(id), $"Token id {id} is outside the vocabulary (0..{vocabulary.Length - 1}).");

    /// <summary>The id of an exact vocabulary entry, if present.</summary>
    public bool TryGetId(string token, out int id) => ids.TryGetValue(token, out id);

    /// <summary>Tokenizes text into ids without special tokens.</summary>
    public List<int> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<int>(text.Length + 2);
        foreach (var word in basic.Tokenize(text)) result.AddRange(WordIds(word));
        return result;
    }

    /// <summary>Tokenizes text into token strings without special tokens.</summary>
    public List<string> TokenizeToStrings(string text) => Tokenize(text).Select(i => vocabulary[i]).ToList();

    /// <summary>
    /// Encodes a text (and optional second text) with special tokens, cutting the longer segment first until the
    /// whole fits in <paramref name="maxLength"/> tokens (Hugging Face's <c>longest_first</c>).
    /// </summary>
    public EncodedText Encode(string textA, string textB = null, int maxLength = 512)
    {
        var a = Tokenize(textA ?? "");
        var b = textB is null ? null : Tokenize(textB);
        int before = a.Count + (b?.Count ?? 0);
        int specials = b is null ? 2 : 3;
        if (maxLength < specials) throw new ArgumentOutOfRangeException(nameof(maxLength), $"maxLength must be at least {specials}.");
        while (a.Count + (b?.Count ?? 0) + specials > maxLength)
        {
            if (b is not null && b.Count > a.Count) b.RemoveAt(b.Count - 1);
            else a.RemoveAt(a.Count - 1);
        }
        int total = a.Count + (b?.Count ?? 0) + specials;
        var inputIds = new int[total];
        var types = new int[total];
        int p = 0;
        inputIds[p++] = ClsId;
        foreach (var id in a) inputIds[p++] = id;
        inputIds[p++] = SepId;
        if (b is not null)
        {
            int start = p;
            foreach (var id in b) inputIds[p++] = id;
            inputIds[p++] = SepId;
            for (int i = start; i < p; i++) types[i] = 1;
        }
        return new EncodedText(inputIds, types) { DroppedTokens = before - a.Count - (b?.Count ?? 0) };
    }

    private int[] WordIds(string word)
    {
        if (ids.TryGetValue(word, out var direct)) return [direct];   // most Chinese words are one character
        lock (cacheLock)
        {
            if (wordCache.TryGetValue(word, out var cached)) return cached;
        }
        var pieces = wordPiece.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false).ToArray();
        lock (cacheLock)
        {
            if (wordCache.Count > 100_000) wordCache.Clear();
            wordCache[word] = pieces;
        }
        return pieces;
    }
}
