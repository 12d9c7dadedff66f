using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.Data;

namespace Microsoft.ML.PromptLearning.Benchmarks.ScoringSpeed;

/// <summary>
/// <c>scoring-speed</c>: samples/s of a PromptErnie transformer scoring TNEWS test titles through the batched
/// <c>Transform</c> (length-sorted, dynamically padded batches) against one row at a time through a PredictionEngine.
/// </summary>
internal sealed class ScoringSpeedCommand : System.CommandLine.Command
{
    private readonly Option<string> model = new("--model") { Description = "Pretrained model folder; default: the bundled ChineseMini model of this repository." };
    private readonly Option<string> dataDir = new("--data-dir") { Description = "PaddleNLP data folder with test.txt and label.txt; default: ../shared/data/fewclue/tnews." };
    private readonly Option<int> limit = new("--limit") { Description = "Score at most this many titles.", DefaultValueFactory = _ => 2010 };
    private readonly Option<int> threads = new("--threads") { Description = "TorchSharp intra-op threads.", DefaultValueFactory = _ => 2 };
    private readonly Option<int> batch = new("--batch") { Description = "EvalBatchSize of the transformer.", DefaultValueFactory = _ => 32 };
    private readonly Option<int> repeats = new("--repeats") { Description = "Measure both paths this many times, alternating, and report the medians.", DefaultValueFactory = _ => 3 };
    private readonly Option<bool> json = new("--json") { Description = "Print one JSON object on the last line." };

    public ScoringSpeedCommand() : base("scoring-speed", "PromptErnie Transform (batched) vs PredictionEngine (one row at a time) throughput on TNEWS titles.")
    {
        foreach (var o in new Option[] { model, dataDir, limit, threads, batch, repeats, json }) Options.Add(o);
        SetAction(Execute);
    }

    private int Execute(ParseResult parsed)
    {
        TorchSharp.torch.set_num_threads(parsed.GetValue(threads));
        var folder = FewShotDataFolder.Open(parsed.GetValue(dataDir) ?? Path.Combine(RepoPaths.Root, "..", "shared", "data", "fewclue", "tnews"));
        var rows = folder.ReadLabeled("test.txt").Take(parsed.GetValue(limit)).ToList();
        var ml = new MLContext(seed: 1);
        var keyMap = folder.CreateLabelKeyMap(ml);
        var data = keyMap.Transform(ml.Data.LoadFromEnumerable(rows));
        var trainer = ml.MulticlassClassification.Trainers.PromptErnie(new PromptErnieTrainer.Options
        {
            ModelPath = parsed.GetValue(model) ?? RepoPaths.BundledModel,
            Prompt = "这条新闻标题的主题是", LabelWords = folder.LabelWords.ToDictionary(kv => kv.Key, kv => kv.Value),
            MaxSteps = 0, NumberOfEpochs = 0, EvalBatchSize = parsed.GetValue(batch),
        });
        using var transformer = trainer.Fit(data);

        transformer.Transform(data).GetColumn<float[]>("Score").Take(64).ToList();   // warm-up
        var engine = ml.Model.CreatePredictionEngine<LabeledText, Prediction>(transformer);
        List<float[]> batched = null, single = null;
        var batchedMs = new List<double>();
        var singleMs = new List<double>();
        for (int r = 0; r < Math.Max(1, parsed.GetValue(repeats)); r++)
        {
            var clock = Stopwatch.StartNew();
            batched = transformer.Transform(data).GetColumn<float[]>("Score").ToList();
            batchedMs.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            single = rows.Select(row => engine.Predict(row).Score).ToList();
            singleMs.Add(clock.Elapsed.TotalMilliseconds);
            Console.Error.WriteLine($"repeat {r + 1}: Transform {rows.Count * 1000 / batchedMs[^1]:F1} samples/s, PredictionEngine {rows.Count * 1000 / singleMs[^1]:F1} samples/s");
        }
        double maxDiff = batched.Zip(single).Max(p => p.First.Zip(p.Second).Max(x => Math.Abs(x.First - x.Second)));

        double batchedRate = rows.Count * 1000 / new Timing(batchedMs).MedianMs, singleRate = rows.Count * 1000 / new Timing(singleMs).MedianMs;
        Console.WriteLine($"{rows.Count} titles, {parsed.GetValue(threads)} threads, median of {batchedMs.Count}: Transform {batchedRate:F1} samples/s, PredictionEngine {singleRate:F1} samples/s, ratio {batchedRate / singleRate:F2}×, max |Δp| {maxDiff:E1}");
        if (parsed.GetValue(json))
            Console.WriteLine(new JsonObject { ["titles"] = rows.Count, ["repeats"] = batchedMs.Count, ["transformSamplesPerSecond"] = batchedRate, ["predictionEngineSamplesPerSecond"] = singleRate, ["ratio"] = batchedRate / singleRate, ["maxAbsDiff"] = maxDiff }.ToJsonString());
        return 0;
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; }
    }
}
