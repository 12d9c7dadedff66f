using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.Data;

namespace Microsoft.ML.PromptLearning.Benchmarks.Soak;

/// <summary>
/// <c>soak</c>: scores TNEWS test titles over and over (batched <c>Transform</c>, then one row at a time through a
/// PredictionEngine) and samples the process's resident memory, to show whether native memory grows with use.
/// </summary>
internal sealed class SoakCommand : System.CommandLine.Command
{
    private readonly Option<int> scorings = new("--scorings") { Description = "Texts scored through each path.", DefaultValueFactory = _ => 100_000 };
    private readonly Option<int> threads = new("--threads") { Description = "TorchSharp intra-op threads.", DefaultValueFactory = _ => 2 };
    private readonly Option<string> dataDir = new("--data-dir") { Description = "PaddleNLP data folder with test.txt and label.txt; default: ../shared/data/fewclue/tnews." };
    private readonly Option<bool> json = new("--json") { Description = "Print one JSON object on the last line." };

    public SoakCommand() : base("soak", "Resident memory while scoring many texts through Transform and PredictionEngine (growth after warm-up).")
    {
        foreach (var o in new Option[] { scorings, threads, dataDir, json }) Options.Add(o);
        SetAction(Execute);
    }

    private int Execute(ParseResult parsed)
    {
        TorchSharp.torch.set_num_threads(parsed.GetValue(threads));
        var folder = FewShotDataFolder.Open(parsed.GetValue(dataDir) ?? Path.Combine(RepoPaths.Root, "..", "shared", "data", "fewclue", "tnews"));
        var rows = folder.ReadLabeled("test.txt");
        var ml = new MLContext(seed: 1);
        var keyMap = folder.CreateLabelKeyMap(ml);
        var data = keyMap.Transform(ml.Data.LoadFromEnumerable(rows));
        using var transformer = ml.MulticlassClassification.Trainers.PromptErnie(new PromptErnieTrainer.Options
        {
            ModelPath = RepoPaths.BundledModel,
            Prompt = "这条新闻标题的主题是", LabelWords = folder.LabelWords.ToDictionary(kv => kv.Key, kv => kv.Value), MaxSteps = 0, NumberOfEpochs = 0,
        }).Fit(data);
        int total = parsed.GetValue(scorings);
        var result = new JsonObject { ["scorings"] = total, ["threads"] = parsed.GetValue(threads) };
        result["transform"] = Run("Transform", total, rows.Count, n => transformer.Transform(data).GetColumn<float[]>("Score").Take(n).Count());
        var engine = ml.Model.CreatePredictionEngine<LabeledText, Prediction>(transformer);
        int next = 0;
        result["predictionEngine"] = Run("PredictionEngine", total, rows.Count, n =>
        {
            for (int i = 0; i < n; i++) engine.Predict(rows[next++ % rows.Count]);
            return n;
        });
        if (parsed.GetValue(json)) Console.WriteLine(result.ToJsonString());
        return 0;
    }

    /// <summary>Scores <paramref name="total"/> texts in chunks, sampling RSS after each; growth is measured from the end of the first tenth (warm-up).</summary>
    private static JsonObject Run(string name, int total, int chunk, Func<int, int> score)
    {
        var samples = new List<(int Done, double RssMb)>();
        var clock = Stopwatch.StartNew();
        int done = 0;
        while (done < total)
        {
            done += score(Math.Min(chunk, total - done));
            GC.Collect();
            samples.Add((done, Rss()));
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var afterWarmup = samples.First(s => s.Done >= total / 10);
        double growth = samples[^1].RssMb - afterWarmup.RssMb;
        Console.WriteLine($"{name}: {total} texts in {seconds:F0} s ({total / seconds:F0}/s); RSS {afterWarmup.RssMb:F0} MB after {afterWarmup.Done} texts, " +
                          $"{samples[^1].RssMb:F0} MB at the end (growth {growth:+0;-0} MB), peak {samples.Max(s => s.RssMb):F0} MB");
        return new JsonObject
        {
            ["seconds"] = seconds, ["rssAfterWarmupMb"] = afterWarmup.RssMb, ["rssEndMb"] = samples[^1].RssMb, ["growthMb"] = growth,
            ["peakMb"] = samples.Max(s => s.RssMb),
        };
    }

    private static double Rss()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64 / 1048576.0;
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; }
    }
}
