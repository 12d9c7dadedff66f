using System.Globalization;
using System.Text;

namespace Microsoft.ML.PromptLearning.Tokenization;

/// <summary>
/// BERT's basic tokenizer, rule for rule as in Hugging Face's <c>BasicTokenizer</c> (which ERNIE's tokenizer shares):
/// drop control characters, put spaces around CJK characters, NFC, lowercase and strip accents, split on punctuation
/// (ASCII symbols such as <c>$ + = ^</c> count as punctuation). Special tokens such as <c>[MASK]</c> are split off
/// first and kept whole. Its output words go to WordPiece.
/// </summary>
internal sealed class BasicTokenizer
{
    private readonly string[] specialTokens;   // longest first, so that "[MASK]" wins over a shorter prefix
    private readonly bool lowerCase;

    public BasicTokenizer(IEnumerable<string> neverSplit, bool lowerCase = true)
    {
        specialTokens = neverSplit.Where(s => !string.IsNullOrEmpty(s)).Distinct().OrderByDescending(s => s.Length).ToArray();
        this.lowerCase = lowerCase;
    }

    /// <summary>Splits <paramref name="text"/> into words; special tokens come out as single words.</summary>
    public List<string> Tokenize(string text)
    {
        var words = new List<string>();
        int start = 0;
        for (int i = 0; i < text.Length;)
        {
            string special = MatchSpecial(text, i);
            if (special is null) { i++; continue; }
            if (i > start) TokenizePlain(text.AsSpan(start, i - start), words);
            words.Add(special);
            i += special.Length;
            start = i;
        }
        if (start < text.Length) TokenizePlain(text.AsSpan(start), words);
        return words;
    }

    private string MatchSpecial(string text, int at)
    {
        if (text[at] != '[') return null;   // every BERT/ERNIE special token starts with '['
        foreach (var s in specialTokens)
            if (string.CompareOrdinal(text, at, s, 0, s.Length) == 0) return s;
        return null;
    }

    private void TokenizePlain(ReadOnlySpan<char> text, List<string> words)
    {
        // 1. clean (drop NUL, U+FFFD and control characters; whitespace -> ' ') and space out CJK characters.
        var sb = new StringBuilder(text.Length * 2);
        foreach (var rune in text.EnumerateRunes())
        {
            int cp = rune.Value;
            if (cp == 0 || cp == 0xFFFD || IsControl(rune)) continue;
            if (IsWhitespace(rune)) sb.Append(' ');
            else if (IsChinese(cp)) sb.Append(' ').Append(rune.ToString()).Append(' ');
            else sb.Append(rune.ToString());
        }
        // 2. NFC, split on whitespace, then lowercase + strip accents and split on punctuation.
        var normalized = sb.ToString().Normalize(NormalizationForm.FormC);
        foreach (var token in normalized.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var t = lowerCase ? StripAccents(token.ToLowerInvariant()) : token;
            SplitOnPunctuation(t, words);
        }
    }

    private static string StripAccents(string s)
    {
        var nfd = s.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(nfd.Length);
        foreach (var rune in nfd.EnumerateRunes())
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark) sb.Append(rune.ToString());
        return sb.ToString();
    }

    private static void SplitOnPunctuation(string token, List<string> words)
    {
        var current = new StringBuilder();
        foreach (var rune in token.EnumerateRunes())
        {
            if (IsPunctuation(rune))
            {
                if (current.Length > 0) { words.Add(current.ToString()); current.Clear(); }
                words.Add(rune.ToString());
            }
            else current.Append(rune.ToString());
        }
        if (current.Length > 0) words.Add(current.ToString());
    }

    internal static bool IsWhitespace(Rune r) =>
        r.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(r) == UnicodeCategory.SpaceSeparator;

    internal static bool IsControl(Rune r)
    {
        if (r.Value is '\t' or '\n' or '\r') return false;
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse
            or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned;
    }

    internal static bool IsPunctuation(Rune r)
    {
        int cp = r.Value;
        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>The CJK Unified Ideograph blocks BERT treats as one-character words.</summary>
    internal static bool IsChinese(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
