using Microsoft.ML.PromptLearning.Tokenization;

namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>Which end of a text is cut when it is too long.</summary>
public enum TruncationSide
{
    /// <summary>Keep the beginning (PaddleNLP's default <c>truncation_side="right"</c>).</summary>
    Right,
    /// <summary>Keep the end.</summary>
    Left,
}

/// <summary>
/// Wraps texts in a <see cref="Template"/> and tokenizes them exactly like PaddleNLP's <c>MLMPromptTokenizer</c>:
/// every part is tokenized on its own, parts are cut to fit <see cref="MaxSequenceLength"/> (only truncatable parts,
/// the budget shared fairly), then joined between <c>[CLS]</c> and <c>[SEP]</c> with token types, positions, soft token
/// ids and mask positions. Thread-safe.
/// </summary>
/// <remarks>
/// User text can never add masks or padding: a literal <c>[MASK]</c> or <c>[PAD]</c> inside a text becomes <c>[UNK]</c>
/// (PaddleNLP would treat it as a real mask, shifting the positions the verbalizer reads). Prompt text cannot contain
/// <c>[MASK]</c> either (the template parser asks for <c>{'mask'}</c>). Very long texts are tokenized only as far as
/// truncation can keep, so a 100 000-character text costs about as much as a short one.
/// </remarks>
public sealed class PromptEncoder
{
    private readonly int[][] fixedIds;        // per part: token ids of non-text parts; null for text parts
    private readonly bool[] truncatable;
    private readonly int specialCount = 2;    // [CLS] and [SEP]

    /// <summary>Creates an encoder.</summary>
    /// <param name="template">The template.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="maxSequenceLength">Longest encoding, including prompt, masks, soft tokens, <c>[CLS]</c> and <c>[SEP]</c>.</param>
    /// <param name="truncationSide">Which end of a text is cut.</param>
    /// <exception cref="ArgumentException">The parts that cannot be truncated do not fit in <paramref name="maxSequenceLength"/>.</exception>
    public PromptEncoder(Template template, ErnieTokenizer tokenizer, int maxSequenceLength, TruncationSide truncationSide = TruncationSide.Right)
    {
        Template = template ?? throw new ArgumentNullException(nameof(template));
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        MaxSequenceLength = maxSequenceLength;
        TruncationSide = truncationSide;
        var layout = SoftTokenLayout.Create(template, tokenizer);
        SoftTokenCount = layout.Count;

        var parts = template.Parts;
        fixedIds = new int[parts.Count][];
        truncatable = new bool[parts.Count];
        int fixedLength = specialCount;
        for (int i = 0; i < parts.Count; i++)
        {
            var p = parts[i];
            truncatable[i] = p.IsTruncatable;
            fixedIds[i] = p.Kind switch
            {
                TemplatePartKind.Text => null,
                TemplatePartKind.Hard => tokenizer.Tokenize((p.AddSpace ? " " : "") + p.Value).ToArray(),
                TemplatePartKind.Mask => Enumerable.Repeat(tokenizer.MaskId, p.MaskCount).ToArray(),
                TemplatePartKind.Sep => [tokenizer.SepId],
                _ => layout.PartIds[i],
            };
            if (fixedIds[i] is not null && !truncatable[i]) fixedLength += fixedIds[i].Length;
        }
        FixedLength = fixedLength;
        if (maxSequenceLength < fixedLength)
            throw new ArgumentException(
                $"The template needs {fixedLength} tokens without any text ([CLS], [SEP], prompt words, {template.MaskCount} mask(s), {SoftTokenCount} soft token(s)) "
                + $"but maxSequenceLength is {maxSequenceLength}; raise maxSequenceLength or shorten the prompt.", nameof(maxSequenceLength));
    }

    /// <summary>The template.</summary>
    public Template Template { get; }
    /// <summary>The tokenizer.</summary>
    public ErnieTokenizer Tokenizer { get; }
    /// <summary>Longest encoding produced.</summary>
    public int MaxSequenceLength { get; }
    /// <summary>Which end of a text is cut.</summary>
    public TruncationSide TruncationSide { get; }
    /// <summary>Number of distinct soft vectors the template uses (the rows of its <see cref="SoftPromptEmbedding"/>).</summary>
    public int SoftTokenCount { get; }
    /// <summary>Tokens the template takes before any text is added (special tokens, prompt, masks, soft tokens).</summary>
    public int FixedLength { get; }

    /// <summary>Encodes one example.</summary>
    /// <param name="textA">The first text (<c>{'text': 'text_a'}</c>); required when the template uses it.</param>
    /// <param name="textB">The second text (<c>{'text': 'text_b'}</c>); required when the template uses it, ignored otherwise.</param>
    /// <exception cref="ArgumentNullException">The template uses a text that was not given.</exception>
    /// <exception cref="ArgumentException">A text part marked <c>'truncate': False</c> is too long to fit.</exception>
    public PromptEncoding Encode(string textA, string textB = null)
    {
        if (Template.UsesTextA && textA is null)
            throw new ArgumentNullException(nameof(textA), "The template uses {'text': 'text_a'} but no first text was given.");
        if (Template.UsesTextB && textB is null)
            throw new ArgumentNullException(nameof(textB), "The template uses {'text': 'text_b'} but no second text was given.");

        var parts = Template.Parts;
        int n = parts.Count;
        var tokens = new int[n][];
        var lengths = new int[n];
        for (int i = 0; i < n; i++)
        {
            var p = parts[i];
            tokens[i] = fixedIds[i] ?? TokenizeText((p.AddSpace ? " " : "") + (p.Value == "text_a" ? textA : textB));
            lengths[i] = tokens[i].Length;
        }

        int budget = MaxSequenceLength - specialCount;
        var keep = PromptTruncation.MaxLengths(lengths, truncatable, budget);
        int total = keep.Sum();
        if (total > budget) throw TooLong(lengths, total);

        var inputIds = new int[total + specialCount];
        var tokenTypes = new int[inputIds.Length];
        var positions = new int[inputIds.Length];
        var softIds = new int[inputIds.Length];
        var maskPositions = new List<int>(Template.MaskCount);
        inputIds[0] = Tokenizer.ClsId;
        int at = 1, lastPosition = 1, lastTokenType = 0;
        int dropped = 0;
        for (int i = 0; i < n; i++)
        {
            var p = parts[i];
            var ids = tokens[i];
            int count = keep[i], skip = 0;
            if (count < ids.Length)
            {
                dropped += ids.Length - count;
                if (TruncationSide == TruncationSide.Left) skip = ids.Length - count;
            }
            if (p.Position is int start && start > 0) lastPosition = start;
            if (p.TokenType is int type) lastTokenType = type;
            for (int k = 0; k < count; k++, at++)
            {
                inputIds[at] = ids[skip + k];
                tokenTypes[at] = lastTokenType;
                positions[at] = lastPosition++;
                if (p.Kind == TemplatePartKind.Soft) softIds[at] = ids[skip + k];
                else if (p.Kind == TemplatePartKind.Mask) maskPositions.Add(at);
            }
        }
        inputIds[at] = Tokenizer.SepId;   // token type, position and soft id of the final [SEP] stay 0, as in PaddleNLP
        return new PromptEncoding(inputIds, tokenTypes, positions, maskPositions.ToArray(), softIds) { DroppedTokens = dropped };
    }

    private int[] TokenizeText(string text)
    {
        // More than MaxSequenceLength tokens can never be kept; the truncation rule only needs to know the part is longer.
        var ids = TruncationSide == TruncationSide.Left
            ? TextWindow.Tail(Tokenizer, text, MaxSequenceLength)
            : TextWindow.Head(Tokenizer, text, MaxSequenceLength);
        var result = ids.ToArray();
        for (int k = 0; k < result.Length; k++)
            if (result[k] == Tokenizer.MaskId || result[k] == Tokenizer.PadId) result[k] = Tokenizer.UnknownId;
        return result;
    }

    private ArgumentException TooLong(int[] lengths, int total)
    {
        var culprits = Template.Parts.Select((p, i) => (p, i))
            .Where(x => x.p.Kind == TemplatePartKind.Text && !truncatable[x.i])
            .Select(x => $"{x.p.Value} ({lengths[x.i]} tokens)");
        return new ArgumentException(
            $"The encoding needs {total + specialCount} tokens but maxSequenceLength is {MaxSequenceLength}: the text part(s) marked 'truncate': False "
            + $"are too long: {string.Join(", ", culprits)}. Allow truncation or raise maxSequenceLength.");
    }
}
