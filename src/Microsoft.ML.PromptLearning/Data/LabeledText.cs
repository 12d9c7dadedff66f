namespace Microsoft.ML.PromptLearning.Data;

/// <summary>One labelled example of a PaddleNLP-layout data file (<c>text\tlabel</c>), ready for <c>MLContext.Data.LoadFromEnumerable</c>.</summary>
public sealed class LabeledText
{
    /// <summary>The text (<c>text_a</c>).</summary>
    public string Text { get; set; }

    /// <summary>The label name (empty for unlabelled rows).</summary>
    public string Label { get; set; }
}
