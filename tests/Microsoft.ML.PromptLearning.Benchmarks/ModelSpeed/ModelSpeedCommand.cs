using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.PromptLearning.Ernie;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Benchmarks.ModelSpeed;

/// <summary>
/// <c>model-speed</c>: fp32 matmul throughput, then forward and forward+backward of an ERNIE-3.0-base-sized masked LM, per thread count;
/// reports medians, achieved GFLOP/s and their ratio to the matmul ceiling measured in the same run.
/// </summary>
internal sealed class ModelSpeedCommand : System.CommandLine.Command
{
    private readonly Option<string> threads = new("--threads") { Description = "Comma-separated libtorch thread counts.", DefaultValueFactory = _ => "1,2" };
    private readonly Option<int> repeats = new("--repeats") { Description = "Timed repetitions of each model step (after one warm-up).", DefaultValueFactory = _ => 5 };
    private readonly Option<int> batch = new("--batch") { Description = "Sequences per batch.", DefaultValueFactory = _ => 8 };
    private readonly Option<int> length = new("--length") { Description = "Tokens per sequence.", DefaultValueFactory = _ => 128 };
    private readonly Option<int> matmulSize = new("--matmul-size") { Description = "Side of the square matrices of the matmul test.", DefaultValueFactory = _ => 2048 };
    private readonly Option<bool> json = new("--json") { Description = "Print one JSON object with every figure on the last line." };

    public ModelSpeedCommand() : base("model-speed", "Matmul ceiling and ERNIE-3.0-base forward / forward+backward speed on this machine (default command).")
    {
        foreach (var o in new Option[] { threads, repeats, batch, length, matmulSize, json }) Options.Add(o);
        SetAction(Execute);
    }

    private int Execute(ParseResult parsed)
    {
        var threadCounts = parsed.GetValue(threads).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        int reps = parsed.GetValue(repeats), b = parsed.GetValue(batch), t = parsed.GetValue(length), n = parsed.GetValue(matmulSize);
        var config = ErnieConfig.Ernie3Base();
        var log = Console.Out;

        var report = new JsonObject
        {
            ["machine"] = MachineInfo.ToJson(),
            ["model"] = new JsonObject
            {
                ["layers"] = config.NumHiddenLayers, ["hidden"] = config.HiddenSize, ["heads"] = config.NumAttentionHeads,
                ["ffn"] = config.IntermediateSize, ["vocab"] = config.VocabSize, ["batch"] = b, ["length"] = t,
            },
        };
        using var timer = new ErnieStepTimer(config, b, t);
        double forwardFlops = FlopCount.Forward(config, b, t, timer.Predicted);
        double trainFlops = FlopCount.ForwardBackward(config, b, t, timer.Predicted);
        report["model"]!["parameters"] = timer.ParameterCount;
        report["model"]!["encoder_matmul_parameters"] = FlopCount.EncoderMatmulParameters(config);
        report["model"]!["predicted_positions"] = timer.Predicted;
        report["model"]!["forward_gflop"] = Round(forwardFlops / 1e9);
        report["model"]!["forward_backward_gflop"] = Round(trainFlops / 1e9);
        log.WriteLine($"ERNIE {config.NumHiddenLayers}L/{config.HiddenSize}H/{config.NumAttentionHeads} heads/FFN {config.IntermediateSize}/vocab {config.VocabSize}: " +
                      $"{timer.ParameterCount / 1e6:F1}M parameters; batch {b} x {t} tokens, MLM at {timer.Predicted} positions; " +
                      $"forward {forwardFlops / 1e9:F1} GFLOP, forward+backward {trainFlops / 1e9:F1} GFLOP");

        var runs = new JsonArray();
        foreach (int threadCount in threadCounts)
        {
            set_num_threads(threadCount);
            var (mm, mmGflops) = MatmulThroughput.Measure(n, warmup: 2, repeats: Math.Max(5, reps));
            log.WriteLine($"threads {threadCount}: matmul {n}x{n} median {mm.MedianMs:F1} ms = {mmGflops:F1} GFLOP/s");
            var fwd = Timing.Measure(timer.Forward, warmup: 1, repeats: reps);
            var train = Timing.Measure(timer.ForwardBackward, warmup: 1, repeats: reps);
            double fwdGflops = forwardFlops / (fwd.MedianMs / 1000) / 1e9, trainGflops = trainFlops / (train.MedianMs / 1000) / 1e9;
            log.WriteLine($"threads {threadCount}: forward median {fwd.MedianMs:F0} ms (min {fwd.MinMs:F0}) = {fwdGflops:F1} GFLOP/s = {fwdGflops / mmGflops:P0} of matmul");
            log.WriteLine($"threads {threadCount}: forward+backward median {train.MedianMs:F0} ms (min {train.MinMs:F0}) = {trainGflops:F1} GFLOP/s = {trainGflops / mmGflops:P0} of matmul; " +
                          $"{b * t / (train.MedianMs / 1000):F0} tokens/s");
            runs.Add(new JsonObject
            {
                ["threads"] = threadCount,
                ["matmul"] = new JsonObject { ["size"] = n, ["median_ms"] = Round(mm.MedianMs), ["gflops"] = Round(mmGflops) },
                ["forward"] = StepJson(fwd, fwdGflops, mmGflops),
                ["forward_backward"] = StepJson(train, trainGflops, mmGflops),
            });
        }
        report["runs"] = runs;
        report["machine"]!["load_average_end"] = MachineInfo.LoadAverage();
        report["machine"]!["torchsharp"] = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString();
        report["peak_working_set_mib"] = Process.GetCurrentProcess().PeakWorkingSet64 >> 20;
        log.WriteLine($"load average {report["machine"]!["load_average_start"]} -> {report["machine"]!["load_average_end"]}; peak working set {report["peak_working_set_mib"]} MiB");
        if (parsed.GetValue(json)) log.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        return 0;
    }

    private static JsonObject StepJson(Timing timing, double gflops, double matmulGflops) => new()
    {
        ["median_ms"] = Round(timing.MedianMs),
        ["min_ms"] = Round(timing.MinMs),
        ["samples_ms"] = new JsonArray(timing.SamplesMs.Select(s => (JsonNode)Round(s)).ToArray()),
        ["gflops"] = Round(gflops),
        ["ratio_to_matmul"] = Math.Round(gflops / matmulGflops, 3),
    };

    private static double Round(double x) => Math.Round(x, 1);

}
