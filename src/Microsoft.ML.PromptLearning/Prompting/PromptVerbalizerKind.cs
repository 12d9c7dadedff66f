using Microsoft.ML.PromptLearning.Prompting;

namespace Microsoft.ML.PromptLearning;

/// <summary>
/// How label scores are read from the masked language model: one kind per <see cref="Verbalizer"/> class, named in files
/// and on the command line by <see cref="Verbalizer.KindName"/> (<c>soft</c>, <c>manual</c>, <c>maskedlm</c>).
/// </summary>
public enum PromptVerbalizerKind
{
    /// <summary>
    /// WARP-style soft verbalizer (PaddleNLP's default for its few-shot apps): a hidden→label layer initialised from the label
    /// words' rows of the MLM decoder, trained at the prompt learning rate.
    /// </summary>
    Soft = 0,
    /// <summary><see cref="ManualVerbalizer"/>: the MLM's own logits for the label words (tokens averaged, several words per label averaged).</summary>
    Manual = 1,
    /// <summary>
    /// <see cref="MaskedLMVerbalizer"/> (PaddleNLP's name): one [MASK] per token of equal-length label words; a label's score is
    /// the product of its tokens' probabilities. Earlier spellings <c>PerCharacterMask</c> and <c>per-char</c> are still read.
    /// </summary>
    MaskedLM = 2,
}
