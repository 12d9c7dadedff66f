namespace Microsoft.ML.PromptLearning.Inference;

/// <summary>
/// One input row: texts and the 0-based class (-1 when the label is missing or unknown, as when scoring), or for multi-label
/// data the 0-based classes of the row (<paramref name="LabelSet"/>, empty = none of the labels; null when scoring).
/// </summary>
internal readonly record struct TextRow(string Text, string TextPair, int Label, int[] LabelSet = null);
