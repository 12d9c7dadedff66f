using System.Diagnostics;
using System.Globalization;
using CsCheck;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Microsoft.ML.PromptLearning.Tests.Fuzzing;

/// <summary>
/// Runs the fuzz properties and reports each run as one line, "fuzz NAME: N cases, seed S, T s", to the test's output and
/// as an xUnit diagnostic message (printed by <c>dotnet test --logger "console;verbosity=normal"</c>, as <c>.ci/run</c> runs it).
/// The default suite runs the case counts given here (a few thousand in all, well under a minute); the environment variable
/// <c>PROMPT_LEARNING_FUZZ_SCALE</c> multiplies them for a long run (<c>--filter Category=Fuzz</c>).
/// </summary>
/// <remarks>
/// The seed is CsCheck's: it fixes the first case; the others are drawn afresh on every run, and a failure reports the seed
/// that replays it (pass it as the seed to reproduce).
/// </remarks>
public sealed class FuzzRunner(IMessageSink diagnostics)
{
    /// <summary>The trait that selects every fuzz test.</summary>
    public const string Category = "Fuzz";

    /// <summary>How many times the default case counts a run uses (<c>PROMPT_LEARNING_FUZZ_SCALE</c>, default 1).</summary>
    public static long Scale { get; } =
        long.TryParse(Environment.GetEnvironmentVariable("PROMPT_LEARNING_FUZZ_SCALE"), NumberStyles.None, CultureInfo.InvariantCulture, out long s) && s > 0 ? s : 1;

    private long accepted, refused;

    /// <summary>Checks <paramref name="property"/> on <paramref name="cases"/> × <see cref="Scale"/> values of <paramref name="gen"/>.</summary>
    public void Run<T>(ITestOutputHelper output, string name, Gen<T> gen, Action<T> property, long cases, string seed)
    {
        long count = 0;
        accepted = refused = 0;
        var clock = Stopwatch.StartNew();
        gen.Sample(value => { Interlocked.Increment(ref count); property(value); }, iter: cases * Scale, seed: seed);
        var line = $"fuzz {name}: {count} cases, seed {seed}, {clock.Elapsed.TotalSeconds:F1} s ({accepted + refused} reads: {accepted} succeeded, {refused} refused with a documented exception)";
        output.WriteLine(line);
        diagnostics.OnMessage(new DiagnosticMessage(line));
    }

    /// <summary>Runs <paramref name="read"/>; any exception other than the documented ones (or one without a message) fails.</summary>
    public void OnlyDocumentedFailure(Action read, params Type[] documented)
    {
        try
        {
            read();
            Interlocked.Increment(ref accepted);
        }
        catch (Exception e) when (documented.Any(t => t.IsInstanceOfType(e)))
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message), $"{e.GetType().Name} without a message");
            Interlocked.Increment(ref refused);
        }
    }
}

/// <summary><c>gen.Fuzz(runner, output, name, property, seed)</c>: <see cref="FuzzRunner.Run"/> written where the generator is built.</summary>
public static class FuzzExtensions
{
    public static void Fuzz<T>(this Gen<T> gen, FuzzRunner runner, ITestOutputHelper output, string name, Action<T> property, string seed, long cases = 1000) =>
        runner.Run(output, name, gen, property, cases, seed);
}
