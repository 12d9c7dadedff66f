namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>What a block of a template produces.</summary>
public enum TemplatePartKind
{
    /// <summary><c>{'text': 'text_a'}</c>: the example's text (truncatable by default).</summary>
    Text,
    /// <summary><c>{'hard': '…'}</c> or bare text: fixed prompt words that share the model's word embeddings.</summary>
    Hard,
    /// <summary><c>{'soft'}</c>: trainable prompt vectors (continuous prompt).</summary>
    Soft,
    /// <summary><c>{'mask'}</c>: one or more <c>[MASK]</c> tokens where the label word is predicted.</summary>
    Mask,
    /// <summary><c>{'sep'}</c>: a <c>[SEP]</c> token.</summary>
    Sep,
}

/// <summary>How soft prompt vectors are re-parameterised before they enter the model (PaddleNLP's <c>encoder</c> attribute).</summary>
public enum SoftEncoderKind
{
    /// <summary>The vectors are used as they are.</summary>
    None,
    /// <summary>2-layer bidirectional LSTM followed by Linear–ReLU–Linear (P-tuning).</summary>
    Lstm,
    /// <summary>Linear–ReLU–Linear.</summary>
    Mlp,
}

/// <summary>
/// One block of a <see cref="Template"/>, with the attributes PaddleNLP's template language allows on it.
/// Build parts with <see cref="Template.Parse"/>; <see cref="Template.FromParts"/> validates hand-built ones.
/// </summary>
public sealed record TemplatePart
{
    /// <summary>The kind of block.</summary>
    public TemplatePartKind Kind { get; init; }

    /// <summary>
    /// <see cref="TemplatePartKind.Text"/>: the text field (<c>text_a</c> or <c>text_b</c>);
    /// <see cref="TemplatePartKind.Hard"/>: the prompt text; <see cref="TemplatePartKind.Soft"/>: the text whose word
    /// embeddings initialise the soft vectors, or null for random vectors; otherwise null.
    /// </summary>
    public string Value { get; init; }

    /// <summary>Number of <c>[MASK]</c> tokens (mask) or of soft vectors (soft); null = 1, or the init text's token count for soft.</summary>
    public int? Length { get; init; }

    /// <summary>Soft parts with the same id share their vectors (<c>soft_id</c>).</summary>
    public int? SoftId { get; init; }

    /// <summary>Re-parameterisation of soft vectors (<c>encoder</c>).</summary>
    public SoftEncoderKind Encoder { get; init; }

    /// <summary>Hidden width of the soft encoder (<c>hidden_size</c>); null = the model's hidden size.</summary>
    public int? HiddenSize { get; init; }

    /// <summary>
    /// Position id of this part's first token (<c>position</c>); following parts continue from it. As in PaddleNLP, 0 has
    /// no effect (position 0 belongs to <c>[CLS]</c>).
    /// </summary>
    public int? Position { get; init; }

    /// <summary>Token type id of this part and of every following part until the next <c>token_type</c> (0 or 1).</summary>
    public int? TokenType { get; init; }

    /// <summary>Whether this part may be cut when the sequence is too long (<c>truncate</c>); null = true for text, false otherwise.</summary>
    public bool? Truncate { get; init; }

    /// <summary>A space was written before the block (<c>add_space</c>); the space is prepended to the part's text before tokenization.</summary>
    public bool AddSpace { get; init; }

    /// <summary>Whether the part may be truncated.</summary>
    public bool IsTruncatable => Truncate ?? Kind == TemplatePartKind.Text;

    /// <summary>Number of <c>[MASK]</c> tokens the part contributes.</summary>
    public int MaskCount => Kind == TemplatePartKind.Mask ? Length ?? 1 : 0;
}
