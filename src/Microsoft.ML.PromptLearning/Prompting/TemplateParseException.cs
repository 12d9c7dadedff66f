namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>A template string (or its JSON form) is malformed or describes an impossible prompt.</summary>
public sealed class TemplateParseException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="problem">What is wrong, e.g. <c>unterminated string</c>.</param>
    /// <param name="position">0-based character index in the template where the problem is, or null when it concerns the whole template.</param>
    /// <param name="hint">How to fix it (optional).</param>
    /// <param name="template">The template text (optional).</param>
    public TemplateParseException(string problem, int? position = null, string hint = null, string template = null)
        : base(Format(problem, position, hint, template))
    {
        Problem = problem;
        Position = position;
        Hint = hint;
        Template = template;
    }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }
    /// <summary>0-based character index of the problem in <see cref="Template"/>, or null.</summary>
    public int? Position { get; }
    /// <summary>How to fix it, or null.</summary>
    public string Hint { get; }
    /// <summary>The template text, when known.</summary>
    public string Template { get; }

    private static string Format(string problem, int? position, string hint, string template)
    {
        var message = position is int p ? $"{problem} at {p}" : problem;
        if (!string.IsNullOrEmpty(hint)) message += " — " + hint;
        if (template is not null) message += $" (template: {template})";
        return message;
    }
}
