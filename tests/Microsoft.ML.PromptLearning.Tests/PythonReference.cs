using System.Diagnostics;

namespace Microsoft.ML.PromptLearning.Tests;

/// <summary>The Debian Python with torch that runs the reference scripts in tests/reference.</summary>
internal static class PythonReference
{
    public const string Interpreter = "/usr/bin/python3";

    private static readonly Lazy<string> unavailableReason = new(FindUnavailableReason);

    /// <summary>Null when the reference can run; otherwise why not.</summary>
    public static string UnavailableReason => unavailableReason.Value;

    /// <summary>Runs a script under tests/reference from the repository root; returns the exit code and the combined output.</summary>
    public static (int ExitCode, string Output) RunScript(string script, params string[] args)
    {
        var psi = new ProcessStartInfo(Interpreter) { WorkingDirectory = TestPaths.RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine("tests", "reference", script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Run(psi, TimeSpan.FromMinutes(5));
    }

    private static string FindUnavailableReason()
    {
        if (!File.Exists(Interpreter)) return $"{Interpreter} is not installed (apt-get install python3-torch python3-numpy)";
        var psi = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("import torch, numpy");
        try
        {
            var (code, output) = Run(psi, TimeSpan.FromMinutes(2));
            return code == 0 ? null : $"{Interpreter} cannot import torch/numpy (apt-get install python3-torch python3-numpy): {output.Trim()}";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or TimeoutException)
        {
            return $"{Interpreter} could not be run: {e.Message}";
        }
    }

    private static (int, string) Run(ProcessStartInfo psi, TimeSpan timeout)
    {
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{psi.FileName} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout}.");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>A fact that is skipped, with the reason, when /usr/bin/python3 with torch is not available.</summary>
public sealed class PythonTorchFactAttribute : FactAttribute
{
    public PythonTorchFactAttribute()
    {
        if (PythonReference.UnavailableReason is { } reason) Skip = "Python reference unavailable: " + reason;
    }
}

/// <summary>A theory that is skipped, with the reason, when /usr/bin/python3 with torch is not available.</summary>
public sealed class PythonTorchTheoryAttribute : TheoryAttribute
{
    public PythonTorchTheoryAttribute()
    {
        if (PythonReference.UnavailableReason is { } reason) Skip = "Python reference unavailable: " + reason;
    }
}
