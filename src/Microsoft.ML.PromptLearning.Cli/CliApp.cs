using System.CommandLine;
using Microsoft.ML.PromptLearning.Cli.Commands;

namespace Microsoft.ML.PromptLearning.Cli;

/// <summary>The <c>prompt-learn</c> command line: parses, runs one command, and turns every failure into one line on stderr and an exit code.</summary>
internal static class CliApp
{
    public const int Success = 0;
    public const int RuntimeError = 1;
    public const int UsageError = 2;

    private const string VerboseFlag = "--verbose";

    /// <summary>Runs the tool with <paramref name="args"/>, writing results to <paramref name="stdout"/> and errors to <paramref name="stderr"/>; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => Run(args, stdout, stderr, CancellationToken.None);

    /// <summary>As <see cref="Run(string[], TextWriter, TextWriter)"/>; <paramref name="cancellation"/> stops long-running commands as Ctrl+C does.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        try
        {
            var root = new RootCommand("prompt-learn: prompt-based few-shot text classification with ERNIE 3.0 / BERT masked language models.");
            root.Options.Add(new Option<bool>(VerboseFlag) { Description = "Print the full exception (with stack trace) when something fails.", Recursive = true });
            root.Subcommands.Add(new FillMaskCommand(stdout));
            root.Subcommands.Add(new PretrainCommand(stdout, cancellation));
            root.Subcommands.Add(new TrainCommand(stdout, cancellation));
            root.Subcommands.Add(new EvalCommand(stdout));
            root.Subcommands.Add(new PredictCommand(stdout));
            root.Subcommands.Add(new ExportCommand(stdout));
            root.Subcommands.Add(new InferCommand(stdout));

            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0)
            {
                var command = parsed.CommandResult.Command;
                var help = command == root ? "prompt-learn --help" : $"prompt-learn {command.Name} --help";
                var messages = parsed.Errors.Select(e => e.Message.ReplaceLineEndings(" ")).Distinct().OrderBy(m => m.StartsWith("Required command", StringComparison.Ordinal));
                stderr.WriteLine($"prompt-learn: {string.Join(" ", messages)} (see '{help}')");
                return UsageError;
            }
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var usage = e is UsageException;
            stderr.WriteLine($"prompt-learn: {(usage ? "" : "error: ")}{Describe(e)}");
            if (args.Contains(VerboseFlag)) stderr.WriteLine(e);
            return usage ? UsageError : RuntimeError;
        }
    }

    /// <summary>One line for the user: the innermost message when the outer one only says that a type failed to initialise (native library problems).</summary>
    private static string Describe(Exception e)
    {
        while (e is TypeInitializationException or System.Reflection.TargetInvocationException or AggregateException && e.InnerException is not null)
            e = e.InnerException;
        var message = e.Message.ReplaceLineEndings(" ");
        // The loader lists every path it tried; the one line that matters is the libstdc++ version clash (see the buildTransitive targets).
        var glibcxx = System.Text.RegularExpressions.Regex.Match(message, @"[^ ]*libstdc\+\+[^:]*: version `GLIBCXX_[0-9.]+' not found \(required by ([^)]*)\)");
        if (e is DllNotFoundException && glibcxx.Success)
            return $"TorchSharp's native library cannot load: {glibcxx.Value}. Rebuild or republish so that the package's build targets mark that requirement weak, " +
                   $"or run: patchelf --clear-symbol-version _ZSt21ios_base_library_initv {glibcxx.Groups[1].Value}";
        return message;
    }
}
