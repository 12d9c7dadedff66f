using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.PromptLearning.Benchmarks.ModelSpeed;
using Microsoft.ML.PromptLearning.Benchmarks.TrainSpeed;
using Microsoft.ML.PromptLearning.Data;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.Prompting;
using Microsoft.ML.PromptLearning.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Benchmarks.Bf16;

/// <summary>
/// <c>bf16</c>: whether bfloat16 pays on this CPU. TorchSharp has no autocast, so bfloat16 means converting the model
/// (<c>Module.to(ScalarType.BFloat16)</c>): scoring runs fully in bfloat16, training keeps float32 master weights in AdamW
/// (<see cref="PrecisionTrainer"/>). Measures matmul throughput, training and scoring speed (float32 and bfloat16 steps and
/// batches interleaved, so both see the same load) and, for the bundled model, TNEWS test accuracy of both.
/// </summary>
internal sealed class Bf16Command : System.CommandLine.Command
{
    private readonly Option<string> shapes = new("--shapes") { Description = "Comma-separated: 'bundled' (trained on the data: speed and accuracy) and/or 'base' (random ERNIE 3.0 base-size weights: speed only).", DefaultValueFactory = _ => "bundled,base" };
    private readonly Option<int> steps = new("--steps") { Description = "Training steps of the bundled model.", DefaultValueFactory = _ => 300 };
    private readonly Option<int> baseSteps = new("--base-steps") { Description = "Training steps of the base shape (speed only).", DefaultValueFactory = _ => 4 };
    private readonly Option<int> baseTexts = new("--base-texts") { Description = "Test titles scored with the base shape (speed only).", DefaultValueFactory = _ => 96 };
    private readonly Option<int> batch = new("--batch") { Description = "Rows per training step.", DefaultValueFactory = _ => 8 };
    private readonly Option<int> evalBatch = new("--eval-batch") { Description = "Rows per scoring batch.", DefaultValueFactory = _ => 32 };
    private readonly Option<int> threads = new("--threads") { Description = "libtorch intra-op threads.", DefaultValueFactory = _ => 1 };
    private readonly Option<string> dataDir = new("--data-dir") { Description = "FewCLUE-layout folder; default TNEWS of ../shared/data." };
    private readonly Option<string> trainFile = new("--train-file") { Description = "Training file in --data-dir.", DefaultValueFactory = _ => "train_0.txt" };
    private readonly Option<string> testFile = new("--test-file") { Description = "Evaluation file in --data-dir.", DefaultValueFactory = _ => "test.txt" };
    private readonly Option<string> prompt = new("--prompt") { Description = "Template.", DefaultValueFactory = _ => "{'text':'text_a'}这条新闻标题的主题是{'mask'}{'mask'}" };
    private readonly Option<double> lr = new("--lr") { Description = "PLM learning rate.", DefaultValueFactory = _ => 1e-4 };
    private readonly Option<double> headLr = new("--head-lr") { Description = "Verbalizer learning rate.", DefaultValueFactory = _ => 1e-3 };
    private readonly Option<int> seed = new("--seed") { Description = "Seed.", DefaultValueFactory = _ => 42 };
    private readonly Option<bool> json = new("--json") { Description = "Print one JSON object with every figure on the last line." };

    public Bf16Command() : base("bf16", "bfloat16 vs float32 on this CPU: matmul, training and scoring speed, and TNEWS accuracy of the bundled model.")
    {
        foreach (var o in new Option[] { shapes, steps, baseSteps, baseTexts, batch, evalBatch, threads, dataDir, trainFile, testFile, prompt, lr, headLr, seed, json }) Options.Add(o);
        SetAction(Execute);
    }

    private int Execute(ParseResult parsed)
    {
        var log = Console.Out;
        var folderPath = parsed.GetValue(dataDir) ?? Path.GetFullPath(Path.Combine(RepoPaths.Root, "..", "shared", "data", "fewclue", "tnews"));
        if (!Directory.Exists(folderPath)) { Console.Error.WriteLine($"Data folder '{folderPath}' does not exist (give --data-dir)."); return 2; }
        int threadCount = parsed.GetValue(threads);
        set_num_threads(threadCount);
        var autocast = typeof(TorchSharp.torch).Assembly.GetTypes().Where(t => t.Name.Contains("autocast", StringComparison.OrdinalIgnoreCase)).Select(t => t.FullName).ToList();
        log.WriteLine($"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version} (libtorch {__version__}): autocast {(autocast.Count == 0 ? "not available (no autocast type)" : string.Join(", ", autocast))}; " +
                      $"bfloat16 tensors and modules via ScalarType.BFloat16; CPU has native bf16: {MachineInfo.HasBf16}; {threadCount} threads");
        var report = new JsonObject { ["machine"] = MachineInfo.ToJson(), ["threads"] = threadCount, ["autocast_types"] = new JsonArray(autocast.Select(a => (JsonNode)a).ToArray()) };

        var matmul = new JsonObject();
        foreach (int n in new[] { 256, 1024 })
        {
            var (f32, g32) = MatmulThroughput.Measure(n, warmup: 2, repeats: 5);
            var (b16, g16) = MatmulThroughput.Measure(n, warmup: 2, repeats: 5, ScalarType.BFloat16);
            log.WriteLine($"matmul {n}x{n}: float32 {g32:F1} GFLOP/s, bfloat16 {g16:F1} GFLOP/s ({g16 / g32:F2}x)");
            matmul[n.ToString()] = new JsonObject { ["float32_gflops"] = Math.Round(g32, 1), ["bfloat16_gflops"] = Math.Round(g16, 1) };
        }
        report["matmul"] = matmul;

        var data = FewShotDataFolder.Open(folderPath);
        var results = new JsonArray();
        foreach (var shape in parsed.GetValue(shapes).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            bool bundled = shape switch { "bundled" => true, "base" => false, _ => throw new ArgumentException($"Unknown shape '{shape}' (bundled, base).") };
            using var setup = TrainSpeedSetup.Create(RepoPaths.BundledModel, bundled ? null : ErnieConfig.Ernie3Base(),
                RandomCheckpoint.Ernie3BaseVocabulary, data, parsed.GetValue(trainFile), parsed.GetValue(prompt),
                parsed.GetValue(batch), bundled ? parsed.GetValue(steps) : parsed.GetValue(baseSteps), 128, parsed.GetValue(seed), parsed.GetValue(lr), parsed.GetValue(headLr));
            var test = setup.Encode(parsed.GetValue(testFile));
            if (!bundled) test = test.Take(parsed.GetValue(baseTexts)).ToList();
            log.WriteLine();
            log.WriteLine($"== {shape}: ERNIE {setup.Config.NumHiddenLayers}L/{setup.Config.HiddenSize}H; {setup.StepBatches.Count} steps x {setup.Settings.BatchSize}; {test.Count} test titles");
            results.Add(RunShape(log, shape, setup, test, parsed.GetValue(evalBatch), bundled));
        }
        report["results"] = results;
        report["machine"]!["load_average_end"] = MachineInfo.LoadAverage();
        log.WriteLine($"load average {report["machine"]!["load_average_start"]} -> {report["machine"]!["load_average_end"]}");
        if (parsed.GetValue(json)) log.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        return 0;
    }

    private static JsonObject RunShape(TextWriter log, string shape, TrainSpeedSetup setup, List<EncodedExample> test, int evalBatch, bool accuracy)
    {
        // Training: float32 step k, then bfloat16 step k, so both run under the same load.
        using var fp32 = new PrecisionTrainer(setup.CreateNet(), setup.Settings, bf16: false);
        using var bf16 = new PrecisionTrainer(setup.CreateNet(), setup.Settings, bf16: true);
        var losses = PrecisionTrainer.TrainInTurn(setup, fp32, bf16, (k, losses) =>
        {
            if ((k + 1) % Math.Max(1, setup.StepBatches.Count / 5) == 0 || k == setup.StepBatches.Count - 1)
                log.WriteLine($"step {k + 1}: loss float32 {Mean(losses, k, l => l.F32):F4}, bfloat16 {Mean(losses, k, l => l.B16):F4} (mean of the last steps); " +
                              $"{(k + 1) * setup.Settings.BatchSize / fp32.Seconds:F1} vs {(k + 1) * setup.Settings.BatchSize / bf16.Seconds:F1} samples/s; load {MachineInfo.LoadAverage()}");
        });
        int samples = setup.StepBatches.Sum(b => b.Length);
        double trainF32 = samples / fp32.Seconds, trainB16 = samples / bf16.Seconds;
        log.WriteLine($"training: float32 {trainF32:F2} samples/s, bfloat16 (float32 master weights) {trainB16:F2} samples/s ({trainB16 / trainF32:F2}x)");

        // Scoring: the float32-trained model in float32 and converted to bfloat16, batch by batch in turn.
        using var fp32AsBf16 = setup.CreateNet();
        fp32AsBf16.load_state_dict(fp32.Float32State());
        fp32AsBf16.to(ScalarType.BFloat16);
        var scores = Score(test, evalBatch, setup.Settings.PadId, fp32.Net, fp32AsBf16);
        double scoreF32 = test.Count / scores[0].Seconds, scoreB16 = test.Count / scores[1].Seconds;
        log.WriteLine($"scoring {test.Count} titles (batch {evalBatch}): float32 {scoreF32:F1} samples/s, bfloat16 {scoreB16:F1} samples/s ({scoreB16 / scoreF32:F2}x); " +
                      $"same class {Agreement(scores[0].Probabilities, scores[1].Probabilities):P2}, max |Δp| {MaxDiff(scores[0].Probabilities, scores[1].Probabilities):F4}");
        var result = new JsonObject
        {
            ["shape"] = shape, ["layers"] = setup.Config.NumHiddenLayers, ["hidden"] = setup.Config.HiddenSize, ["steps"] = setup.StepBatches.Count,
            ["train_samples_per_s"] = new JsonObject { ["float32"] = Math.Round(trainF32, 2), ["bfloat16"] = Math.Round(trainB16, 2) },
            ["score_samples_per_s"] = new JsonObject { ["float32"] = Math.Round(scoreF32, 1), ["bfloat16"] = Math.Round(scoreB16, 1) },
            ["scoring_agreement"] = Agreement(scores[0].Probabilities, scores[1].Probabilities),
            ["final_loss"] = new JsonObject { ["float32"] = Mean(losses, losses.Count - 1, l => l.F32), ["bfloat16"] = Mean(losses, losses.Count - 1, l => l.B16) },
        };
        if (!accuracy) return result;

        // Accuracy: both trained models scored in float32, and each in bfloat16.
        using var bf16AsF32 = setup.CreateNet();
        bf16AsF32.load_state_dict(bf16.Float32State());
        var more = Score(test, evalBatch, setup.Settings.PadId, bf16AsF32, bf16.Net);
        var acc = new JsonObject
        {
            ["trained_float32_scored_float32"] = Accuracy(scores[0].Probabilities, test),
            ["trained_float32_scored_bfloat16"] = Accuracy(scores[1].Probabilities, test),
            ["trained_bfloat16_scored_float32"] = Accuracy(more[0].Probabilities, test),
            ["trained_bfloat16_scored_bfloat16"] = Accuracy(more[1].Probabilities, test),
        };
        foreach (var (name, value) in acc) log.WriteLine($"test accuracy, {name.Replace('_', ' ')}: {value!.GetValue<double>():P2}");
        result["test_accuracy"] = acc;
        return result;
    }

    /// <summary>Class probabilities of every row from each model, batches sorted by length, models taking each batch in turn.</summary>
    private static (float[][] Probabilities, double Seconds)[] Score(IReadOnlyList<EncodedExample> rows, int batchSize, int padId, params ClassifierNet[] nets)
    {
        var result = nets.Select(_ => (Probabilities: new float[rows.Count][], Seconds: 0.0)).ToArray();
        foreach (var net in nets) net.eval();
        using var noGrad = no_grad();
        foreach (var indices in LengthBuckets.ScoringBatches(rows.Select(e => e.Length).ToArray(), batchSize))
            for (int m = 0; m < nets.Length; m++)
            {
                using var scope = NewDisposeScope();
                var clock = Stopwatch.StartNew();
                var batch = ClassifierBatch.Collate(indices.Select(i => rows[i]).ToList(), CPU, padId);
                var probs = nn.functional.softmax(nets[m].Forward(batch).Logits.to(ScalarType.Float32), -1);
                var flat = probs.data<float>().ToArray();
                result[m].Seconds += clock.Elapsed.TotalSeconds;
                int c = (int)probs.shape[1];
                for (int r = 0; r < indices.Length; r++) result[m].Probabilities[indices[r]] = flat.AsSpan(r * c, c).ToArray();
            }
        return result;
    }

    private static double Accuracy(float[][] p, IReadOnlyList<EncodedExample> rows) => Math.Round((double)rows.Where((e, i) => Probabilities.ArgMax(p[i]) == e.Label).Count() / rows.Count, 4);

    private static double Agreement(float[][] a, float[][] b) => Math.Round((double)a.Where((p, i) => Probabilities.ArgMax(p) == Probabilities.ArgMax(b[i])).Count() / a.Length, 4);

    private static double MaxDiff(float[][] a, float[][] b) => a.Select((p, i) => p.Zip(b[i], (x, y) => Math.Abs(x - y)).Max()).Max();

    private static double Mean(List<(double F32, double B16)> losses, int upTo, Func<(double F32, double B16), double> pick) =>
        losses.Take(upTo + 1).TakeLast(Math.Max(1, Math.Min(10, upTo + 1))).Average(pick);
}
