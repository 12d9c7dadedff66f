namespace Microsoft.ML.PromptLearning.Cli;

/// <summary>The command line asks for something that cannot work (exit code 2), as opposed to a failure while running (exit code 1).</summary>
internal sealed class UsageException(string message) : Exception(message);
