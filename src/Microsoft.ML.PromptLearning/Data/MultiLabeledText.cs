namespace Microsoft.ML.PromptLearning.Data;

/// <summary>
/// One example of a multi-label or hierarchical data file (<c>text\tlabel1,label2</c>), ready for
/// <c>MLContext.Data.LoadFromEnumerable</c>: <see cref="Labels"/> becomes a variable-length text vector, which
/// <c>MapValueToKey</c> turns into the vector of label keys the multi-label trainers read.
/// </summary>
public sealed class MultiLabeledText
{
    /// <summary>The text (<c>text_a</c>).</summary>
    public string Text { get; set; }

    /// <summary>The labels of the text, in file order; empty when it has none of the labels.</summary>
    public string[] Labels { get; set; } = [];
}
