using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.Data;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Benchmarks.TrainSpeed;

/// <summary>
/// <c>train-speed</c>: training throughput of the prompt classifier in this library's training loop (TorchSharp) against an
/// eager PyTorch loop (tests/reference/train_speed.py, run as a child process) on the same checkpoint, prompt, batches and
/// thread count. Rounds alternate between the two (ours, PyTorch, ours, PyTorch, …) so that both see the same machine load;
/// medians are reported.
/// </summary>
internal sealed class TrainSpeedCommand : System.CommandLine.Command
{
    private readonly Option<string> shapes = new("--shapes") { Description = "Comma-separated model shapes: 'bundled' (the ChineseMini model, 4 L / 256 H) and 'base' (random weights of ERNIE 3.0 base size, 12 L / 768 H).", DefaultValueFactory = _ => "bundled,base" };
    private readonly Option<int> steps = new("--steps") { Description = "Training steps per round of the bundled shape.", DefaultValueFactory = _ => 40 };
    private readonly Option<int> baseSteps = new("--base-steps") { Description = "Training steps per round of the base shape.", DefaultValueFactory = _ => 8 };
    private readonly Option<int> batch = new("--batch") { Description = "Rows per step.", DefaultValueFactory = _ => 8 };
    private readonly Option<int> rounds = new("--rounds") { Description = "Timed rounds per side (after one untimed warm-up round each).", DefaultValueFactory = _ => 3 };
    private readonly Option<int> threads = new("--threads") { Description = "Intra-op threads of both sides.", DefaultValueFactory = _ => 2 };
    private readonly Option<string> dataDir = new("--data-dir") { Description = "FewCLUE-layout folder (label.txt with label words); default TNEWS of ../shared/data." };
    private readonly Option<string> trainFile = new("--train-file") { Description = "Training file in --data-dir.", DefaultValueFactory = _ => "train_0.txt" };
    private readonly Option<string> prompt = new("--prompt") { Description = "Template.", DefaultValueFactory = _ => "{'text':'text_a'}这条新闻标题的主题是{'mask'}{'mask'}" };
    private readonly Option<int> maxLength = new("--max-length") { Description = "Maximum tokens per encoded row.", DefaultValueFactory = _ => 128 };
    private readonly Option<int> seed = new("--seed") { Description = "Seed of the batch order, dropout and random weights.", DefaultValueFactory = _ => 42 };
    private readonly Option<string> python = new("--python") { Description = "Interpreter with torch for the PyTorch side.", DefaultValueFactory = _ => "/usr/bin/python3" };
    private readonly Option<string> pythonLib = new("--python-lib") { Description = "Folder put first on the PyTorch side's LD_LIBRARY_PATH (e.g. OpenBLAS's libblas.so.3: tools/openblas-peer.sh)." };
    private readonly Option<string> variants = new("--peer-variants") { Description = "PyTorch variants: 'full' (every layer at every position, as PaddleNLP computes it) and/or 'masks' (last layer only at the [MASK] slots, as this library computes it).", DefaultValueFactory = _ => "full,masks" };
    private readonly Option<bool> breakdown = new("--breakdown") { Description = "Also time each phase of a TorchSharp step (data, forward, backward, clip, optimizer) in one extra round." };
    private readonly Option<bool> adamwOnly = new("--adamw-only") { Description = "Only compare TorchSharp's AdamW step with the six-pass update on the model's parameters (no training, no PyTorch)." };
    private readonly Option<bool> json = new("--json") { Description = "Print one JSON object with every figure on the last line." };

    public TrainSpeedCommand() : base("train-speed", "Training samples/s of the prompt classifier: this library (TorchSharp) vs an eager PyTorch loop on the same batches, interleaved.")
    {
        foreach (var o in new Option[] { shapes, steps, baseSteps, batch, rounds, threads, dataDir, trainFile, prompt, maxLength, seed, python, pythonLib, variants, breakdown, adamwOnly, json }) Options.Add(o);
        SetAction(Execute);
    }

    private int Execute(ParseResult parsed)
    {
        var log = Console.Out;
        var folderPath = parsed.GetValue(dataDir) ?? Path.GetFullPath(Path.Combine(RepoPaths.Root, "..", "shared", "data", "fewclue", "tnews"));
        if (!Directory.Exists(folderPath)) { Console.Error.WriteLine($"Data folder '{folderPath}' does not exist (give --data-dir)."); return 2; }
        var data = FewShotDataFolder.Open(folderPath);
        int threadCount = parsed.GetValue(threads), roundCount = parsed.GetValue(rounds);
        var peerVariants = parsed.GetValue(variants).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (peerVariants.Any(v => v is not ("full" or "masks"))) { Console.Error.WriteLine("--peer-variants takes 'full' and/or 'masks'."); return 2; }
        var libPath = parsed.GetValue(pythonLib);
        if (libPath is not null && !File.Exists(Path.Combine(libPath, "libblas.so.3"))) { Console.Error.WriteLine($"--python-lib '{libPath}' has no libblas.so.3."); return 2; }
        set_num_threads(threadCount);

        var report = new JsonObject
        {
            ["machine"] = MachineInfo.ToJson(),
            ["settings"] = new JsonObject
            {
                ["threads"] = threadCount, ["batch"] = parsed.GetValue(batch), ["rounds"] = roundCount, ["prompt"] = parsed.GetValue(prompt),
                ["data"] = Path.Combine(folderPath, parsed.GetValue(trainFile)), ["python"] = parsed.GetValue(python), ["python_lib"] = libPath,
                ["torchsharp"] = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString(),
            },
        };
        var results = new JsonArray();
        foreach (var shape in parsed.GetValue(shapes).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            ErnieConfig random = shape switch
            {
                "bundled" => null,
                "base" => ErnieConfig.Ernie3Base(),
                _ => throw new ArgumentException($"Unknown shape '{shape}' (bundled, base)."),
            };
            int stepCount = shape == "base" ? parsed.GetValue(baseSteps) : parsed.GetValue(steps);
            var sw = Stopwatch.StartNew();
            using var setup = TrainSpeedSetup.Create(RepoPaths.BundledModel, random,
                RandomCheckpoint.Ernie3BaseVocabulary, data, parsed.GetValue(trainFile),
                parsed.GetValue(prompt), parsed.GetValue(batch), stepCount, parsed.GetValue(maxLength), parsed.GetValue(seed));
            var c = setup.Config;
            log.WriteLine();
            log.WriteLine($"== {shape}: ERNIE {c.NumHiddenLayers}L/{c.HiddenSize}H/{c.NumAttentionHeads} heads/FFN {c.IntermediateSize}/vocab {c.VocabSize}; " +
                          $"{stepCount} steps x {parsed.GetValue(batch)} rows of {setup.Examples.Count}, mean {setup.MeanLength:F1} tokens padded to {setup.MeanPaddedLength:F1} " +
                          $"(unbucketed random batches would pad to {setup.MeanPaddedLengthUnbucketed():F1}); " +
                          $"{threadCount} threads (prepared in {sw.Elapsed.TotalSeconds:F1} s)");
            results.Add(parsed.GetValue(adamwOnly) ? CompareAdamW(log, setup, new JsonObject { ["shape"] = shape })
                : RunShape(log, shape, setup, parsed, peerVariants, threadCount, roundCount, libPath));
        }
        report["results"] = results;
        report["machine"]!["load_average_end"] = MachineInfo.LoadAverage();
        log.WriteLine($"load average {report["machine"]!["load_average_start"]} -> {report["machine"]!["load_average_end"]}");
        if (parsed.GetValue(json)) log.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        return 0;
    }

    private JsonObject RunShape(TextWriter log, string shape, TrainSpeedSetup setup, ParseResult parsed, string[] peerVariants, int threadCount, int roundCount, string libPath)
    {
        var specPath = Path.Combine(Path.GetTempPath(), $"train-speed-{Environment.ProcessId}-{shape}.json");
        File.WriteAllText(specPath, setup.PeerSpec(threadCount).ToJsonString());
        try
        {
            using var peer = new PythonPeer(parsed.GetValue(python), specPath, threadCount, libPath);
            log.WriteLine($"PyTorch {peer.Torch} ({peer.Threads} threads{(libPath is null ? ", the interpreter's default BLAS" : $", BLAS from {libPath}")}); TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version} (libtorch {__version__})");

            // Warm-up (untimed): allocators, kernels, thread pools of both processes.
            Ours(setup);
            foreach (var v in peerVariants) peer.Run(v);

            var ours = new List<double>();
            var peers = peerVariants.ToDictionary(v => v, _ => new List<PeerRound>());
            List<double> loopLosses = null;
            for (int r = 0; r < roundCount; r++)
            {
                var (report, losses) = Ours(setup);
                loopLosses ??= losses;
                ours.Add(report.SamplesPerSecond);
                log.WriteLine($"round {r + 1}: ours {report.SamplesPerSecond,7:F2} samples/s ({report.TrainSeconds:F2} s, load {MachineInfo.LoadAverage()})");
                foreach (var v in peerVariants)
                {
                    var p = peer.Run(v);
                    peers[v].Add(p);
                    log.WriteLine($"round {r + 1}: PyTorch {v,-5} {p.SamplesPerSecond,7:F2} samples/s ({p.Seconds:F2} s, loss {p.FirstLoss:F3} -> {p.LastLoss:F3})");
                }
            }
            double oursMedian = Timing.Median(ours);
            log.WriteLine($"median: ours {oursMedian:F2} samples/s; " + string.Join("; ",
                peerVariants.Select(v => $"PyTorch {v} {Timing.Median(peers[v].Select(p => p.SamplesPerSecond)):F2} samples/s (ours {oursMedian / Timing.Median(peers[v].Select(p => p.SamplesPerSecond)):F2}x)")));
            log.WriteLine($"our loop's loss {loopLosses[0]:F3} -> {loopLosses[^1]:F3}");

            var result = new JsonObject
            {
                ["shape"] = shape, ["layers"] = setup.Config.NumHiddenLayers, ["hidden"] = setup.Config.HiddenSize, ["steps"] = setup.Settings.MaxSteps,
                ["batch"] = setup.Settings.BatchSize, ["mean_tokens"] = Math.Round(setup.MeanLength, 1), ["mean_padded_tokens"] = Math.Round(setup.MeanPaddedLength, 1),
                ["mean_padded_tokens_unbucketed"] = Math.Round(setup.MeanPaddedLengthUnbucketed(), 1),
                ["torch_python"] = peer.Torch,
                ["ours_samples_per_s"] = new JsonArray(ours.Select(x => (JsonNode)Math.Round(x, 2)).ToArray()), ["ours_median"] = Math.Round(oursMedian, 2),
            };
            var peerJson = new JsonObject();
            foreach (var v in peerVariants)
                peerJson[v] = new JsonObject
                {
                    ["samples_per_s"] = new JsonArray(peers[v].Select(p => (JsonNode)Math.Round(p.SamplesPerSecond, 2)).ToArray()),
                    ["median"] = Math.Round(Timing.Median(peers[v].Select(p => p.SamplesPerSecond)), 2),
                    ["phases_ms_per_step"] = PhasesPerStep(MedianPhases(peers[v]), setup.StepBatches.Count),
                };
            result["pytorch"] = peerJson;
            if (parsed.GetValue(breakdown)) result["ours_phases_ms_per_step"] = Breakdown(log, setup, peers, loopLosses);
            return result;
        }
        finally
        {
            File.Delete(specPath);
        }
    }

    /// <summary>One round of this library's training loop on a fresh model; returns its report and each step's loss.</summary>
    private static (TrainingReport Report, List<double> Losses) Ours(TrainSpeedSetup setup)
    {
        using var net = setup.CreateNet();
        var losses = new List<double>();
        var settings = new TrainingSettings
        {
            BatchSize = setup.Settings.BatchSize, MaxSteps = setup.Settings.MaxSteps, LearningRate = setup.Settings.LearningRate,
            HeadLearningRate = setup.Settings.HeadLearningRate, MaxGradNorm = setup.Settings.MaxGradNorm, Seed = setup.Settings.Seed,
            LoggingSteps = 0, PadId = setup.Settings.PadId,
            Progress = p => { if (p.Kind == TrainingEventKind.Step) losses.Add(p.Loss); },
        };
        var report = ClassifierTrainingLoop.Run(net, setup.Examples, null, settings, CPU, null, null, null);
        return (report, losses);
    }

    private static JsonObject Breakdown(TextWriter log, TrainSpeedSetup setup, Dictionary<string, List<PeerRound>> peers, List<double> loopLosses)
    {
        var (phases, seconds, samples, losses) = StepBreakdown.Run(setup);
        double maxDiff = loopLosses.Zip(losses, (a, b) => Math.Abs(a - b)).Max();
        int n = setup.StepBatches.Count;
        log.WriteLine($"per-step breakdown (ms/step; TorchSharp {samples / seconds:F2} samples/s in this round; its losses match the loop's within {maxDiff:E1}):");
        log.WriteLine($"  {"phase",-10} {"ours",9} " + string.Join(" ", peers.Keys.Select(v => $"{"PyTorch " + v,14}")));
        foreach (var phase in StepBreakdown.Phases)
            log.WriteLine($"  {phase,-10} {1000 * phases[phase] / n,9:F1} " + string.Join(" ", peers.Values.Select(p => $"{1000 * MedianPhases(p)[phase] / n,14:F1}")));
        var json = PhasesPerStep(phases, n);
        json["loss_max_abs_diff_vs_loop"] = maxDiff;
        return CompareAdamW(log, setup, json);
    }

    /// <summary>TorchSharp's AdamW step against <see cref="LeanAdamW"/> on the model's parameters; adds the figures to <paramref name="json"/>.</summary>
    private static JsonObject CompareAdamW(TextWriter log, TrainSpeedSetup setup, JsonObject json)
    {
        var (torchSharpMs, leanMs, paramDiff) = LeanAdamW.Compare(setup, steps: 5);
        log.WriteLine($"AdamW step alone (same parameters, random gradients, medians of 5 alternating steps): TorchSharp {torchSharpMs:F1} ms, " +
                      $"six-pass update {leanMs:F1} ms ({torchSharpMs / leanMs:F2}x); largest parameter difference after 5 steps {paramDiff:E1}");
        json["adamw_torchsharp_ms"] = Math.Round(torchSharpMs, 1);
        json["adamw_six_pass_ms"] = Math.Round(leanMs, 1);
        json["adamw_max_param_diff"] = paramDiff;
        return json;
    }

    /// <summary>Per phase, the median over rounds of its summed seconds.</summary>
    private static Dictionary<string, double> MedianPhases(IReadOnlyList<PeerRound> rounds) =>
        rounds[0].PhaseSeconds.Keys.ToDictionary(k => k, k => Timing.Median(rounds.Select(r => r.PhaseSeconds[k])));

    private static JsonObject PhasesPerStep(Dictionary<string, double> seconds, int steps) =>
        new(seconds.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode)Math.Round(1000 * kv.Value / steps, 2))));
}
