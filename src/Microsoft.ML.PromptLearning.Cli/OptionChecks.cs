using System.CommandLine;

namespace Microsoft.ML.PromptLearning.Cli;

/// <summary>Range checks for numeric options, reported by the parser as usage errors (exit code 2).</summary>
internal static class OptionChecks
{
    public static void Positive<T>(params Option<T>[] options) where T : struct, IComparable<T>
    {
        foreach (var o in options) Validate(o, v => v.CompareTo(default) > 0, "must be positive");
    }

    public static void NonNegative(params Option<int>[] options)
    {
        foreach (var o in options) Validate(o, v => v >= 0, "must not be negative");
    }

    public static void NonNegative(Option<long?> option) => Validate(option, v => v is null or >= 0, "must not be negative");

    /// <summary>Adds a range check that runs only when the value parsed (the parser reports non-numbers itself).</summary>
    public static void Validate<T>(Option<T> option, Func<T, bool> ok, string problem) =>
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count == 0) return;
            T value;
            try { value = r.GetValueOrDefault<T>(); }
            catch (Exception) { return; }
            if (!ok(value)) r.AddError($"{option.Name} {problem} (got {r.Tokens[^1].Value}).");
        });
}
