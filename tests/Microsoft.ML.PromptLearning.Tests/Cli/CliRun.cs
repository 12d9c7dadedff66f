using Microsoft.ML.PromptLearning.Cli;

namespace Microsoft.ML.PromptLearning.Tests.Cli;

/// <summary>Runs <c>prompt-learn</c> in process and builds argument lists for the command tests.</summary>
internal static class CliRun
{
    public static (int Code, string Out, string Err) Run(params string[] args) => Run(CancellationToken.None, null, args);

    /// <summary>Runs with a cancellation token and, optionally, a writer of one's own for stdout.</summary>
    public static (int Code, string Out, string Err) Run(CancellationToken cancellation, TextWriter stdout, params string[] args)
    {
        stdout ??= new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr, cancellation);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// <paramref name="command"/> followed by the <paramref name="defaults"/>; <paramref name="overrides"/> holds flags and
    /// option/value pairs that replace defaults of the same name or add to them (a name repeated in the overrides is given repeatedly).
    /// </summary>
    public static string[] Args(string command, List<(string Name, string Value)> defaults, string[] overrides)
    {
        var options = new List<(string Name, string Value)>(defaults);
        var overridden = new HashSet<string>();
        for (int i = 0; i < overrides.Length; i++)
        {
            bool flag = i + 1 >= overrides.Length || overrides[i + 1].StartsWith("--", StringComparison.Ordinal);
            var name = overrides[i];
            if (overridden.Add(name)) options.RemoveAll(o => o.Name == name);
            options.Add((name, flag ? null : overrides[++i]));
        }
        return new[] { command }.Concat(options.SelectMany(o => o.Value is null ? new[] { o.Name } : new[] { o.Name, o.Value })).ToArray();
    }

    /// <summary>The failure is one line on stderr starting with "prompt-learn: ", with no stack trace and nothing on stdout.</summary>
    public static void AssertOneLineError(int expectedCode, int code, string stdout, string stderr, params string[] fragments)
    {
        Assert.True(expectedCode == code, $"exit code {code}, stderr: {stderr}");
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, "expected one line on stderr, got:\n" + stderr);
        Assert.StartsWith("prompt-learn: ", lines[0]);
        Assert.DoesNotContain("   at ", stderr);
        foreach (var f in fragments) Assert.Contains(f, lines[0]);
    }
}
