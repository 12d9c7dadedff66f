using System.Globalization;
using System.Text;
using Microsoft.ML.PromptLearning.Tokenization;

namespace Microsoft.ML.PromptLearning.Pretraining;

/// <summary>
/// Builds a small vocab.txt as a subset of a full ERNIE/BERT vocabulary: the special tokens, every character the corpus
/// uses at least <c>minCount</c> times, digits, Latin letters and their WordPiece continuations, short ASCII pieces, and
/// every token of the texts that must stay representable (label words, prompts). Tokenization is unchanged except that
/// a dropped token becomes [UNK] (or splits into smaller pieces), so the embedding table stays small.
/// </summary>
public static class CompactVocabulary
{
    private static readonly string[] Specials = ["[PAD]", "[CLS]", "[SEP]", "[MASK]"];

    /// <summary>Reads <c>char_freq.tsv</c> (columns char, codepoint, count, …; header row) into (character, count) pairs.</summary>
    public static IEnumerable<(string Char, long Count)> ReadCharFrequencies(string path)
    {
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var cols = line.Split('\t');
            if (cols.Length < 3 || !long.TryParse(cols[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var count)) continue;
            var ch = cols[0].StartsWith("U+", StringComparison.Ordinal) ? char.ConvertFromUtf32(int.Parse(cols[0][2..], NumberStyles.HexNumber)) : cols[0];
            yield return (ch, count);
        }
    }

    /// <summary>Returns the text of the compact vocab.txt: [PAD] [CLS] [SEP] [MASK] first, kept tokens in source order, [UNK] last (ERNIE's layout).</summary>
    /// <param name="sourceVocabPath">The full vocabulary to take tokens from.</param>
    /// <param name="charCounts">Character frequencies of the corpus.</param>
    /// <param name="minCount">Keep a character seen at least this often.</param>
    /// <param name="requiredTexts">Texts whose every token must be kept.</param>
    /// <param name="maxAsciiPieceLength">Keep ASCII tokens (and ##-pieces) up to this many characters.</param>
    public static string Build(string sourceVocabPath, IEnumerable<(string Char, long Count)> charCounts, long minCount,
        IEnumerable<string> requiredTexts, int maxAsciiPieceLength = 2)
    {
        var source = ErnieTokenizer.FromVocabFile(sourceVocabPath);
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (ch, count) in charCounts)
        {
            if (count < minCount) continue;
            foreach (var piece in source.TokenizeToStrings(ch)) keep.Add(piece);   // lowercased / accent-stripped form
        }
        foreach (var text in requiredTexts ?? [])
            foreach (var piece in source.TokenizeToStrings(text)) keep.Add(piece);
        for (char c = '0'; c <= '9'; c++) { keep.Add(c.ToString()); keep.Add("##" + c); }
        for (char c = 'a'; c <= 'z'; c++) { keep.Add(c.ToString()); keep.Add("##" + c); }

        var sb = new StringBuilder();
        foreach (var s in Specials) sb.Append(s).Append('\n');
        var written = new HashSet<string>(Specials, StringComparer.Ordinal) { "[UNK]" };
        for (int id = 0; id < source.VocabSize; id++)
        {
            var token = source.IdToToken(id);
            if (written.Contains(token)) continue;
            var bare = token.StartsWith("##", StringComparison.Ordinal) ? token[2..] : token;
            bool shortAscii = bare.Length > 0 && bare.Length <= maxAsciiPieceLength && bare.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9');
            if (!keep.Contains(token) && !shortAscii) continue;
            if (source.TryGetId(token, out var canonical) && canonical != id) continue;   // a duplicate line: keep the id the tokenizer uses
            sb.Append(token).Append('\n');
            written.Add(token);
        }
        sb.Append("[UNK]\n");
        return sb.ToString();
    }
}
