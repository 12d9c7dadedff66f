using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.PromptLearning.Onnx;

namespace Microsoft.ML.PromptLearning.Benchmarks.OnnxSpeed;

/// <summary>
/// <c>onnx-speed</c>: scoring throughput and per-batch latency of a random ERNIE fine-tune classifier with TorchSharp (batched,
/// no-grad, eval) against ONNX Runtime fp32 and int8 exports of the same weights, per batch size and thread count, on real texts.
/// </summary>
internal sealed class OnnxSpeedCommand : System.CommandLine.Command
{
    private readonly Option<int> layers = new("--layers") { Description = "Encoder layers.", DefaultValueFactory = _ => 4 };
    private readonly Option<int> hidden = new("--hidden") { Description = "Hidden size.", DefaultValueFactory = _ => 256 };
    private readonly Option<int> heads = new("--heads") { Description = "Attention heads.", DefaultValueFactory = _ => 4 };
    private readonly Option<int> vocab = new("--vocab") { Description = "Vocabulary rows of the model.", DefaultValueFactory = _ => 6880 };
    private readonly Option<int> ffn = new("--ffn") { Description = "Feed-forward width; 0 = 4 × hidden.", DefaultValueFactory = _ => 0 };
    private readonly Option<string> texts = new("--texts") { Description = "Text file (first tab-separated column is scored); default: TNEWS test.txt of ../shared/data." };
    private readonly Option<int> limit = new("--limit") { Description = "Use at most this many texts.", DefaultValueFactory = _ => 1000 };
    private readonly Option<string> batches = new("--batch") { Description = "Comma-separated batch sizes.", DefaultValueFactory = _ => "1,8,32" };
    private readonly Option<string> threads = new("--threads") { Description = "Comma-separated thread counts (libtorch threads / ONNX Runtime intra-op threads).", DefaultValueFactory = _ => "1,2" };
    private readonly Option<string> engines = new("--engines") { Description = "Comma-separated: torch, ort-fp32, ort-int8, ort-int8-nbits, ort-int8-contrib.", DefaultValueFactory = _ => "torch,ort-fp32,ort-int8" };
    private readonly Option<int> maxLength = new("--max-length") { Description = "Maximum tokens per text.", DefaultValueFactory = _ => 128 };
    private readonly Option<bool> json = new("--json") { Description = "Print one JSON object with every figure on the last line." };

    public OnnxSpeedCommand() : base("onnx-speed", "TorchSharp vs ONNX Runtime fp32 / int8 scoring speed (samples/s, p50/p99 batch latency) of a random ERNIE classifier.")
    {
        foreach (var o in new Option[] { layers, hidden, heads, vocab, ffn, texts, limit, batches, threads, engines, maxLength, json }) Options.Add(o);
        SetAction(Execute);
    }

    private int Execute(ParseResult parsed)
    {
        var log = Console.Out;
        int h = parsed.GetValue(hidden);
        var config = new Ernie.ErnieConfig
        {
            NumHiddenLayers = parsed.GetValue(layers), HiddenSize = h, NumAttentionHeads = parsed.GetValue(heads), VocabSize = parsed.GetValue(vocab),
            IntermediateSize = parsed.GetValue(ffn) > 0 ? parsed.GetValue(ffn) : 4 * h, MaxPositionEmbeddings = 2048,
        };
        config.Validate();
        var textPath = parsed.GetValue(texts) ?? Path.GetFullPath(Path.Combine(RepoPaths.Root, "..", "shared", "data", "fewclue", "tnews", "test.txt"));
        if (!File.Exists(textPath)) { Console.Error.WriteLine($"Text file '{textPath}' does not exist (give --texts)."); return 2; }
        var lines = File.ReadLines(textPath).Select(l => l.Split('\t')[0]).Where(l => l.Length > 0).Take(parsed.GetValue(limit)).ToList();
        var batchSizes = Ints(parsed.GetValue(batches));
        var threadCounts = Ints(parsed.GetValue(threads));
        var engineNames = parsed.GetValue(engines).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

        var sw = Stopwatch.StartNew();
        using var bench = new OnnxSpeedBench(config, lines, parsed.GetValue(maxLength), RandomCheckpoint.Ernie3BaseVocabulary);
        log.WriteLine($"ERNIE {config.NumHiddenLayers}L/{config.HiddenSize}H/{config.NumAttentionHeads} heads/FFN {config.IntermediateSize}/vocab {config.VocabSize} " +
                      $"({bench.ParameterCount / 1e6:F1}M parameters), {lines.Count} texts from {textPath}, mean {bench.MeanTokens:F1} tokens (max {bench.MaxTokens}); model built in {sw.Elapsed.TotalSeconds:F1} s");

        var report = new JsonObject
        {
            ["machine"] = MachineInfo.ToJson(),
            ["model"] = new JsonObject
            {
                ["layers"] = config.NumHiddenLayers, ["hidden"] = config.HiddenSize, ["heads"] = config.NumAttentionHeads, ["ffn"] = config.IntermediateSize,
                ["vocab"] = config.VocabSize, ["parameters"] = bench.ParameterCount,
            },
            ["texts"] = new JsonObject { ["path"] = textPath, ["count"] = lines.Count, ["mean_tokens"] = Math.Round(bench.MeanTokens, 1), ["max_tokens"] = bench.MaxTokens },
        };

        var accuracy = new JsonObject();
        foreach (var engine in engineNames.Where(e => e != "torch"))
        {
            var (size, exportSeconds) = bench.Prepare(engine);
            var (maxDiff, agreement) = bench.CompareWithTorch(engine);
            log.WriteLine($"{engine}: exported in {exportSeconds:F1} s, {size / 1048576.0:F1} MiB; vs TorchSharp max |Δp| = {maxDiff:E2}, same class {agreement:P1}");
            accuracy[engine] = new JsonObject { ["model_mib"] = Math.Round(size / 1048576.0, 1), ["max_abs_diff_vs_torch"] = maxDiff, ["argmax_agreement"] = Math.Round(agreement, 4) };
        }
        report["accuracy"] = accuracy;

        var rows = new JsonArray();
        log.WriteLine();
        log.WriteLine($"{"engine",-18} {"threads",7} {"batch",5} {"samples/s",10} {"p50 ms",9} {"p99 ms",9} {"vs torch",9}");
        foreach (int t in threadCounts)
            foreach (int b in batchSizes)
            {
                double torchRate = double.NaN;
                foreach (var engine in engineNames)
                {
                    var r = bench.Measure(engine, b, t);
                    if (engine == "torch") torchRate = r.SamplesPerSecond;
                    log.WriteLine($"{engine,-18} {t,7} {b,5} {r.SamplesPerSecond,10:F1} {r.P50Ms,9:F2} {r.P99Ms,9:F2} {(double.IsNaN(torchRate) ? "" : $"{r.SamplesPerSecond / torchRate:F2}x"),9}");
                    rows.Add(new JsonObject
                    {
                        ["engine"] = engine, ["threads"] = t, ["batch"] = b, ["samples_per_s"] = Math.Round(r.SamplesPerSecond, 1),
                        ["p50_ms"] = Math.Round(r.P50Ms, 2), ["p99_ms"] = Math.Round(r.P99Ms, 2), ["batches"] = r.Batches,
                        ["speedup_vs_torch"] = double.IsNaN(torchRate) ? null : Math.Round(r.SamplesPerSecond / torchRate, 2),
                    });
                }
            }
        report["runs"] = rows;
        report["machine"]!["load_average_end"] = MachineInfo.LoadAverage();
        report["peak_working_set_mib"] = Process.GetCurrentProcess().PeakWorkingSet64 >> 20;
        log.WriteLine($"load average {report["machine"]!["load_average_start"]} -> {report["machine"]!["load_average_end"]}; peak working set {report["peak_working_set_mib"]} MiB");
        if (parsed.GetValue(json)) log.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        return 0;
    }

    private static int[] Ints(string csv) => csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();

}
