using Microsoft.ML.PromptLearning.Tokenization;

namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>
/// Tokenizes only as much of a very long text as truncation can keep. The text is cut at a word boundary (whitespace, or
/// next to a CJK character, which is always a word of its own), so the tokens of the piece are exactly the first (or last)
/// tokens of the whole text. Short texts are tokenized whole.
/// </summary>
internal static class TextWindow
{
    private const int SearchRadius = 512;

    /// <summary>At least <paramref name="minTokens"/> leading tokens of <paramref name="text"/> (all of them when there are fewer).</summary>
    public static List<int> Head(ErnieTokenizer tokenizer, string text, int minTokens) => Tokenize(tokenizer, text, minTokens, fromEnd: false, out _);

    /// <summary>At least <paramref name="minTokens"/> trailing tokens of <paramref name="text"/> (all of them when there are fewer).</summary>
    public static List<int> Tail(ErnieTokenizer tokenizer, string text, int minTokens) => Tokenize(tokenizer, text, minTokens, fromEnd: true, out _);

    /// <summary>
    /// The tokens of <see cref="Head"/> or <see cref="Tail"/>; <paramref name="charactersTokenized"/> is how many characters
    /// were tokenized in all (every try of a growing window counts).
    /// </summary>
    public static List<int> Tokenize(ErnieTokenizer tokenizer, string text, int minTokens, bool fromEnd, out long charactersTokenized)
    {
        long window = 4L * minTokens + 1024;
        charactersTokenized = 0;
        while (true)
        {
            if (window >= text.Length) return TokenizeAll(tokenizer, text, ref charactersTokenized);
            int target = fromEnd ? text.Length - (int)window : (int)window;
            int cut = FindBoundary(text, target);
            if (cut < 0) return TokenizeAll(tokenizer, text, ref charactersTokenized);
            var piece = fromEnd ? text[cut..] : text[..cut];
            charactersTokenized += piece.Length;
            var ids = tokenizer.Tokenize(piece);
            if (ids.Count >= minTokens) return ids;
            window *= 2;
        }
    }

    private static List<int> TokenizeAll(ErnieTokenizer tokenizer, string text, ref long charactersTokenized)
    {
        charactersTokenized += text.Length;
        return tokenizer.Tokenize(text);
    }

    /// <summary>A cut index near <paramref name="target"/> that does not split a word, or -1.</summary>
    private static int FindBoundary(string text, int target)
    {
        for (int d = 0; d <= SearchRadius; d++)
        {
            if (IsBoundary(text, target - d)) return target - d;
            if (IsBoundary(text, target + d)) return target + d;
        }
        return -1;
    }

    private static bool IsBoundary(string text, int cut)
    {
        if (cut <= 0 || cut >= text.Length) return false;
        char before = text[cut - 1], after = text[cut];
        if (char.IsHighSurrogate(before) || char.IsLowSurrogate(after)) return false;
        return IsSeparator(before) || IsSeparator(after);
    }

    private static bool IsSeparator(char c) => c is ' ' or '\t' or '\n' or '\r' || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.SpaceSeparator
        || BasicTokenizer.IsChinese(c);
}
