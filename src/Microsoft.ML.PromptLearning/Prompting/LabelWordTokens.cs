using System.Text;
using Microsoft.ML.PromptLearning.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>
/// Label words tokenized into PaddleNLP's padded <c>[labels × words × tokens]</c> layout, with word and token masks
/// (<c>Verbalizer.preprocess_label_words</c>). A word that the vocabulary cannot spell (a <c>[UNK]</c> piece) or that
/// contains a special token is rejected, naming the word and its label.
/// </summary>
internal sealed class LabelWordTokens
{
    private LabelWordTokens(int[][][] tokens)
    {
        Tokens = tokens;
        Labels = tokens.Length;
        MaxWords = tokens.Max(w => w.Length);
        MaxTokens = tokens.Max(w => w.Max(t => t.Length));
    }

    /// <summary>Per label, per word: the token ids.</summary>
    public int[][][] Tokens { get; }
    public int Labels { get; }
    public int MaxWords { get; }
    public int MaxTokens { get; }

    /// <summary>Tokenizes every label word.</summary>
    /// <param name="labelWords">The label words.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="maxWordsPerLabel">Keep only this many words per label (SoftVerbalizer and MaskedLMVerbalizer use the first word only).</param>
    public static LabelWordTokens Create(LabelWords labelWords, ErnieTokenizer tokenizer, int maxWordsPerLabel = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(labelWords);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var specials = new HashSet<int> { tokenizer.ClsId, tokenizer.SepId, tokenizer.MaskId, tokenizer.PadId };
        var tokens = new int[labelWords.Count][][];
        var problems = new List<string>();   // every bad word is named at once, so one edit of label.txt fixes them all
        for (int c = 0; c < labelWords.Count; c++)
        {
            var words = labelWords.WordsOf(c).Take(maxWordsPerLabel).ToArray();
            tokens[c] = new int[words.Length][];
            for (int w = 0; w < words.Length; w++)
            {
                var word = words[w];
                var label = labelWords.Labels[c];
                var ids = tokenizer.Tokenize(word);
                if (ids.Count == 0)
                    problems.Add($"label word '{word}' of label '{label}' has no tokens");
                else if (ids.Contains(tokenizer.UnknownId))
                    problems.Add($"label word '{word}' of label '{label}' tokenizes to [UNK] ({UnknownParts(word, tokenizer)} not in the vocabulary)");
                else if (ids.Any(specials.Contains))
                    problems.Add($"label word '{word}' of label '{label}' contains a special token");
                tokens[c][w] = ids.ToArray();
            }
        }
        if (problems.Count == 1)
            throw new ArgumentException(char.ToUpperInvariant(problems[0][0]) + problems[0][1..] + "; the model cannot predict it: choose another word.");
        if (problems.Count > 1)
            throw new ArgumentException($"{problems.Count} label words cannot be predicted by the model; choose other words for them: " + string.Join("; ", problems) + ".");
        return new LabelWordTokens(tokens);
    }

    private static string UnknownParts(string word, ErnieTokenizer tokenizer)
    {
        var unknown = new List<string>();
        foreach (var rune in word.EnumerateRunes())
        {
            var s = rune.ToString();
            if (s.Trim().Length > 0 && tokenizer.Tokenize(s).Contains(tokenizer.UnknownId)) unknown.Add($"'{s}'");
        }
        return unknown.Count > 0 ? string.Join(", ", unknown.Distinct()) + (unknown.Count == 1 ? " is" : " are") : "a piece of it is";
    }

    /// <summary>Token ids <c>[C, W, K]</c> (0 where padded).</summary>
    public Tensor TokenIds(Device device)
    {
        var flat = new long[Labels * MaxWords * MaxTokens];
        for (int c = 0; c < Labels; c++)
            for (int w = 0; w < Tokens[c].Length; w++)
                for (int k = 0; k < Tokens[c][w].Length; k++)
                    flat[(c * MaxWords + w) * MaxTokens + k] = Tokens[c][w][k];
        return tensor(flat, new long[] { Labels, MaxWords, MaxTokens }, dtype: int64, device: device);
    }

    /// <summary>1 for real tokens, 0 for padding <c>[C, W, K]</c>.</summary>
    public Tensor TokenMask(ScalarType dtype, Device device)
    {
        var flat = new float[Labels * MaxWords * MaxTokens];
        for (int c = 0; c < Labels; c++)
            for (int w = 0; w < Tokens[c].Length; w++)
                for (int k = 0; k < Tokens[c][w].Length; k++)
                    flat[(c * MaxWords + w) * MaxTokens + k] = 1;
        return tensor(flat, new long[] { Labels, MaxWords, MaxTokens }, device: device).to(dtype);
    }

    /// <summary>1 for real words, 0 for padding <c>[C, W]</c>.</summary>
    public Tensor WordMask(ScalarType dtype, Device device)
    {
        var flat = new float[Labels * MaxWords];
        for (int c = 0; c < Labels; c++)
            for (int w = 0; w < Tokens[c].Length; w++)
                flat[c * MaxWords + w] = 1;
        return tensor(flat, new long[] { Labels, MaxWords }, device: device).to(dtype);
    }
}
