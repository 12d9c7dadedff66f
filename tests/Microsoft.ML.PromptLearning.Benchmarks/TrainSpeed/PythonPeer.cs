using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Microsoft.ML.PromptLearning.Benchmarks.TrainSpeed;

/// <summary>One timed PyTorch training run, as tests/reference/train_speed.py reports it.</summary>
internal sealed record PeerRound(string Variant, int Samples, double Seconds, IReadOnlyDictionary<string, double> PhaseSeconds, IReadOnlyList<double> Losses)
{
    public double SamplesPerSecond => Samples / Seconds;
    public double FirstLoss => Losses[0];
    public double LastLoss => Losses[^1];
}

/// <summary>
/// The eager PyTorch loop (tests/reference/train_speed.py) kept running in a child process: it loads the checkpoint once,
/// then trains a fresh copy on command, so its rounds interleave with the C# rounds and never run at the same time.
/// </summary>
internal sealed class PythonPeer : IDisposable
{
    private readonly Process process;

    /// <param name="python">The interpreter (Debian's /usr/bin/python3 with python3-torch).</param>
    /// <param name="specPath">The JSON specification written by <see cref="TrainSpeedSetup.PeerSpec"/>.</param>
    /// <param name="threads">Intra-op threads (also given to OpenMP and OpenBLAS).</param>
    /// <param name="libraryPath">A folder put first on LD_LIBRARY_PATH (e.g. an OpenBLAS libblas.so.3), or null.</param>
    public PythonPeer(string python, string specPath, int threads, string libraryPath)
    {
        var script = Path.Combine(RepoPaths.Root, "tests", "reference", "train_speed.py");
        var psi = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = false, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(specPath);
        psi.Environment["OMP_NUM_THREADS"] = threads.ToString();
        psi.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString();
        if (libraryPath is not null)
            psi.Environment["LD_LIBRARY_PATH"] = libraryPath + (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") is { Length: > 0 } old ? ":" + old : "");
        try { process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {python}."); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Could not start {python} ({e.Message}); install Debian's python3-torch or give --python.", e);
        }
        var ready = ReadJson();
        Torch = ready["torch"]?.GetValue<string>();
        Threads = ready["threads"]?.GetValue<int>() ?? 0;
    }

    /// <summary>The torch version of the peer.</summary>
    public string Torch { get; }

    /// <summary>The thread count the peer runs with.</summary>
    public int Threads { get; }

    /// <summary>Trains a fresh model for the specification's steps; <paramref name="variant"/> is "full" or "masks".</summary>
    public PeerRound Run(string variant)
    {
        process.StandardInput.WriteLine($"run {variant}");
        process.StandardInput.Flush();
        var r = ReadJson();
        var phases = r["phases_s"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>());
        return new PeerRound(variant, r["samples"]!.GetValue<int>(), r["seconds"]!.GetValue<double>(), phases,
            r["losses"]!.AsArray().Select(x => x!.GetValue<double>()).ToList());
    }

    private JsonObject ReadJson()
    {
        var line = process.StandardOutput.ReadLine()
            ?? throw new InvalidOperationException($"The PyTorch training loop exited (code {(process.WaitForExit(5000) ? process.ExitCode.ToString() : "?")}); its error is printed above.");
        var json = JsonNode.Parse(line)!.AsObject();
        if (json["error"] is { } error) throw new InvalidOperationException($"The PyTorch training loop: {error}");
        return json;
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.StandardInput.WriteLine("quit");
                process.StandardInput.Flush();
                if (!process.WaitForExit(10_000)) process.Kill();
            }
        }
        catch (IOException) { }
        process.Dispose();
    }
}
