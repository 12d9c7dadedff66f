namespace Microsoft.ML.PromptLearning.Inference;

/// <summary>One input row: texts and the 0-based class (-1 when the label is missing or unknown, as when scoring).</summary>
internal readonly record struct TextRow(string Text, string TextPair, int Label);
