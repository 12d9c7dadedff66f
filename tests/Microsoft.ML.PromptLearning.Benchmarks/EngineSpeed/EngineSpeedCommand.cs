using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.Data;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Inference;

namespace Microsoft.ML.PromptLearning.Benchmarks.EngineSpeed;

/// <summary>
/// <c>engine-speed</c>: one fitted prompt model's <c>Transform</c> over the TNEWS test titles with each
/// <see cref="ScoringEngine"/> / <see cref="ScoringPrecision"/> (set on the fitted transformer, as a user would): how many
/// predictions ONNX Runtime float32 / int8 and TorchSharp bfloat16 share with TorchSharp float32, the largest probability difference, test accuracy, and
/// samples/s from rounds that alternate the engines (medians). The bundled model is trained on the training split; the
/// base shape (random weights) is trained one step and measured for speed.
/// </summary>
internal sealed class EngineSpeedCommand : System.CommandLine.Command
{
    private readonly Option<string> shapes = new("--shapes") { Description = "Comma-separated: 'bundled' (trained on --train-file) and/or 'base' (random ERNIE 3.0 base-size weights).", DefaultValueFactory = _ => "bundled,base" };
    private readonly Option<int> steps = new("--steps") { Description = "Training steps of the bundled model.", DefaultValueFactory = _ => 300 };
    private readonly Option<int> baseTexts = new("--base-texts") { Description = "Test titles scored with the base shape.", DefaultValueFactory = _ => 300 };
    private readonly Option<int> rounds = new("--rounds") { Description = "Timed Transform passes per engine (after one untimed pass that also builds the session).", DefaultValueFactory = _ => 3 };
    private readonly Option<int> threads = new("--threads") { Description = "TorchSharp and ONNX Runtime intra-op threads.", DefaultValueFactory = _ => 2 };
    private readonly Option<string> dataDir = new("--data-dir") { Description = "FewCLUE-layout folder; default TNEWS of ../shared/data." };
    private readonly Option<string> prompt = new("--prompt") { Description = "Template.", DefaultValueFactory = _ => "{'text':'text_a'}这条新闻标题的主题是{'mask'}{'mask'}" };
    private readonly Option<bool> json = new("--json") { Description = "Print one JSON object with every figure on the last line." };

    private static readonly (ScoringEngine Engine, ScoringPrecision Precision, string Name)[] Engines =
    [
        (ScoringEngine.TorchSharp, ScoringPrecision.Float32, "TorchSharp fp32"),
        (ScoringEngine.OnnxRuntime, ScoringPrecision.Float32, "ONNX Runtime fp32"),
        (ScoringEngine.OnnxRuntime, ScoringPrecision.Int8, "ONNX Runtime int8"),
        (ScoringEngine.TorchSharp, ScoringPrecision.BFloat16, "TorchSharp bf16"),
    ];

    public EngineSpeedCommand() : base("engine-speed", "Transform of a fitted prompt model with ScoringEngine TorchSharp vs OnnxRuntime fp32 / int8: prediction agreement, accuracy and samples/s on TNEWS.")
    {
        foreach (var o in new Option[] { shapes, steps, baseTexts, rounds, threads, dataDir, prompt, json }) Options.Add(o);
        SetAction(Execute);
    }

    private int Execute(ParseResult parsed)
    {
        var log = Console.Out;
        var folderPath = parsed.GetValue(dataDir) ?? Path.GetFullPath(Path.Combine(RepoPaths.Root, "..", "shared", "data", "fewclue", "tnews"));
        if (!Directory.Exists(folderPath)) { Console.Error.WriteLine($"Data folder '{folderPath}' does not exist (give --data-dir)."); return 2; }
        var folder = FewShotDataFolder.Open(folderPath);
        var ml = new MLContext(seed: 1);
        var keyMap = folder.CreateLabelKeyMap(ml);
        var test = folder.ReadLabeled("test.txt");
        var report = new JsonObject { ["machine"] = MachineInfo.ToJson(), ["threads"] = parsed.GetValue(threads), ["prompt"] = parsed.GetValue(prompt) };
        var results = new JsonArray();
        foreach (var shape in parsed.GetValue(shapes).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            bool bundled = shape switch { "bundled" => true, "base" => false, _ => throw new ArgumentException($"Unknown shape '{shape}' (bundled, base).") };
            using var random = bundled ? null : new RandomCheckpoint(ErnieConfig.Ernie3Base(), RandomCheckpoint.Ernie3BaseVocabulary, seed: 0);
            string modelPath = random?.Folder ?? RepoPaths.BundledModel;
            var rows = bundled ? test : test.Take(parsed.GetValue(baseTexts)).ToList();
            var clock = Stopwatch.StartNew();
            using var model = ml.MulticlassClassification.Trainers.PromptErnie(new PromptErnieTrainer.Options
            {
                ModelPath = modelPath, Prompt = parsed.GetValue(prompt), LabelWords = folder.LabelWords.ToDictionary(kv => kv.Key, kv => kv.Value),
                MaxSteps = bundled ? parsed.GetValue(steps) : 1, LearningRate = 1e-4, PromptLearningRate = 1e-3, EvalSteps = 30, EarlyStoppingPatience = 5,
                ValidationSet = keyMap.Transform(ml.Data.LoadFromEnumerable(folder.ReadLabeled("dev_0.txt"))), NumberOfThreads = parsed.GetValue(threads),
                ScoringEngine = ScoringEngine.OnnxRuntime, ScoringPrecision = ScoringPrecision.Int8, LoggingSteps = 0,
            }).Fit(keyMap.Transform(ml.Data.LoadFromEnumerable(folder.ReadLabeled("train_0.txt"))));
            log.WriteLine();
            log.WriteLine($"== {shape}: trained {model.TrainingReport.Steps} steps in {clock.Elapsed.TotalSeconds:F0} s (kept step {model.TrainingReport.BestStep}); " +
                          $"int8 keeps {model.ValidationAgreementWithFloat32:P2} of the float32 predictions on dev_0.txt; {rows.Count} test titles, {parsed.GetValue(threads)} threads");
            results.Add(Measure(log, ml, keyMap.Append(model), model, rows, parsed.GetValue(rounds), shape));
        }
        report["results"] = results;
        report["machine"]!["load_average_end"] = MachineInfo.LoadAverage();
        log.WriteLine($"load average {report["machine"]!["load_average_start"]} -> {report["machine"]!["load_average_end"]}");
        if (parsed.GetValue(json)) log.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        return 0;
    }

    private static JsonObject Measure(TextWriter log, MLContext ml, ITransformer pipeline, ErnieClassifierTransformerBase model, List<LabeledText> rows, int rounds, string shape)
    {
        var view = ml.Data.LoadFromEnumerable(rows);
        var truth = rows.Select(r => r.Label).ToList();
        var scores = new float[Engines.Length][][];
        var times = Engines.Select(_ => new List<double>()).ToArray();
        var firstPass = new double[Engines.Length];
        for (int r = -1; r < rounds; r++)
            for (int e = 0; e < Engines.Length; e++)
            {
                model.ScoringEngine = Engines[e].Engine;
                model.ScoringPrecision = Engines[e].Precision;
                var clock = Stopwatch.StartNew();
                var s = pipeline.Transform(view).GetColumn<float[]>("Score").ToArray();
                if (r < 0) { firstPass[e] = clock.Elapsed.TotalSeconds; scores[e] = s; }
                else times[e].Add(clock.Elapsed.TotalSeconds);
            }
        var labels = model.LabelNames;
        double torchRate = rows.Count / Timing.Median(times[0]);
        var result = new JsonObject { ["shape"] = shape, ["texts"] = rows.Count, ["int8_validation_agreement"] = model.ValidationAgreementWithFloat32 };
        var engines = new JsonArray();
        log.WriteLine($"{"engine",-18} {"samples/s",10} {"vs torch",9} {"first pass s",13} {"same class",11} {"max |dp|",10} {"accuracy",9}");
        for (int e = 0; e < Engines.Length; e++)
        {
            double rate = rows.Count / Timing.Median(times[e]);
            int same = scores[e].Where((p, i) => Probabilities.ArgMax(p) == Probabilities.ArgMax(scores[0][i])).Count();
            double maxDiff = scores[e].Select((p, i) => p.Zip(scores[0][i], (a, b) => Math.Abs(a - b)).Max()).Max();
            double accuracy = (double)scores[e].Where((p, i) => labels[Probabilities.ArgMax(p)] == truth[i]).Count() / rows.Count;
            log.WriteLine($"{Engines[e].Name,-18} {rate,10:F1} {rate / torchRate,8:F2}x {firstPass[e],13:F1} {same,5}/{rows.Count,-5} {maxDiff,10:E1} {accuracy,9:P2}");
            engines.Add(new JsonObject
            {
                ["engine"] = Engines[e].Name, ["samples_per_s"] = Math.Round(rate, 1), ["speedup_vs_torch"] = Math.Round(rate / torchRate, 2),
                ["pass_seconds"] = new JsonArray(times[e].Select(t => (JsonNode)Math.Round(t, 2)).ToArray()), ["first_pass_seconds"] = Math.Round(firstPass[e], 2),
                ["same_class_as_torch"] = same, ["max_abs_diff_vs_torch"] = maxDiff, ["accuracy"] = Math.Round(accuracy, 4),
            });
        }
        result["engines"] = engines;
        return result;
    }
}
