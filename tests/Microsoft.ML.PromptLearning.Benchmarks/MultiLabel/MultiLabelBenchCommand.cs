using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.PromptLearning.Data;
using Microsoft.ML.PromptLearning.MultiLabel;

namespace Microsoft.ML.PromptLearning.Benchmarks.MultiLabel;

/// <summary>
/// <c>multi-label</c>: prompt learning (template + soft verbalizer) against fine-tuning on a PaddleNLP multi-label or
/// hierarchical folder, several seeds each, through <c>mlContext.MultiLabelClassification()</c>: both train with BCEWithLogits on train.txt, keep the step with the best dev
/// macro-F1 and are scored on test.txt at threshold 0.5 and with per-label thresholds tuned on dev.txt. Hierarchical
/// folders (paths with ##) get the child-implies-parent rule and per-level figures.
/// </summary>
internal sealed class MultiLabelBenchCommand : System.CommandLine.Command
{
    private readonly Option<string> model = new("--model") { Description = "Pretrained model folder; default: the bundled ChineseMini model of this repository." };
    private readonly Option<string> dataDir = new("--data-dir") { Description = "PaddleNLP multi-label or hierarchical folder (train.txt, dev.txt, test.txt, label.txt)." , Required = true };
    private readonly Option<string> prompt = new("--prompt") { Description = "Prompt or template of the prompt model.", DefaultValueFactory = _ => "这句话包含的要素有" };
    private readonly Option<string> methods = new("--methods") { Description = "prompt,finetune", DefaultValueFactory = _ => "prompt,finetune" };
    private readonly Option<string> seeds = new("--seeds") { Description = "Comma-separated seeds.", DefaultValueFactory = _ => "1,2,3" };
    private readonly Option<int> maxSteps = new("--max-steps") { DefaultValueFactory = _ => 600 };
    private readonly Option<int> evalSteps = new("--eval-steps") { DefaultValueFactory = _ => 30 };
    private readonly Option<int> patience = new("--patience") { Description = "Evaluations without improvement before stopping (0 = never).", DefaultValueFactory = _ => 0 };
    private readonly Option<int> batchSize = new("--batch-size") { DefaultValueFactory = _ => 8 };
    private readonly Option<double> learningRate = new("--learning-rate") { DefaultValueFactory = _ => 1e-4 };
    private readonly Option<double> headLearningRate = new("--head-learning-rate") { DefaultValueFactory = _ => 1e-3 };
    private readonly Option<int> maxLength = new("--max-seq-length") { DefaultValueFactory = _ => 128 };
    private readonly Option<int> limitTest = new("--limit-test") { Description = "Score at most this many test rows (0 = all).", DefaultValueFactory = _ => 0 };
    private readonly Option<int> threads = new("--threads") { DefaultValueFactory = _ => 1 };
    private readonly Option<string> output = new("--output") { Description = "Write the results as JSON here." };

    public MultiLabelBenchCommand() : base("multi-label", "Prompt learning vs fine-tuning on a multi-label or hierarchical folder (micro/macro-F1 on test, several seeds).")
    {
        foreach (var o in new Option[] { model, dataDir, prompt, methods, seeds, maxSteps, evalSteps, patience, batchSize, learningRate, headLearningRate, maxLength, limitTest, threads, output })
            Options.Add(o);
        SetAction(Execute);
    }

    private sealed record Split(List<MultiLabeledText> Rows, int[][] Gold);

    private int Execute(ParseResult parsed)
    {
        var folder = FewShotDataFolder.Open(parsed.GetValue(dataDir));
        bool hierarchical = LabelHierarchy.IsHierarchical(folder.Labels);
        var tree = hierarchical ? folder.Hierarchy() : null;
        var index = folder.Labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i);
        Split Read(string file)
        {
            var rows = hierarchical ? folder.ReadHierarchical(file) : folder.ReadMultiLabeled(file);
            return new Split(rows, rows.Select(r => r.Labels.Select(l => index[l]).OrderBy(i => i).ToArray()).ToArray());
        }
        var train = Read("train.txt");
        var dev = Read("dev.txt");
        var test = Read("test.txt");
        if (parsed.GetValue(limitTest) is > 0 and var limit) test = new Split(test.Rows.Take(limit).ToList(), test.Gold.Take(limit).ToArray());
        var words = hierarchical ? folder.NodeLabelWords() : folder.LabelWords;
        var modelPath = parsed.GetValue(model) ?? Path.Combine(RepoPaths.Root, "src", "Microsoft.ML.PromptLearning.Models.ChineseMini", "model");
        Console.WriteLine($"{folder.Path}: {folder.Labels.Count} labels{(hierarchical ? $" in {tree.Depth} levels" : "")}, train {train.Rows.Count}, dev {dev.Rows.Count}, test {test.Rows.Count}; model {modelPath}");

        var results = new JsonArray();
        foreach (var method in parsed.GetValue(methods).Split(','))
            foreach (var seed in parsed.GetValue(seeds).Split(',').Select(int.Parse))
            {
                var clock = Stopwatch.StartNew();
                var ml = new MLContext(seed);
                var keyMap = folder.CreateLabelSetKeyMap(ml);
                IDataView View(Split s) => keyMap.Transform(ml.Data.LoadFromEnumerable(s.Rows));
                var multiLabel = new MultiLabelOptions { Hierarchical = hierarchical };
                void Common(ErnieTrainerOptionsBase o)
                {
                    o.ModelPath = modelPath; o.ValidationSet = View(dev); o.MaxSteps = parsed.GetValue(maxSteps); o.EvalSteps = parsed.GetValue(evalSteps);
                    o.EarlyStoppingPatience = parsed.GetValue(patience); o.BatchSize = parsed.GetValue(batchSize); o.LearningRate = parsed.GetValue(learningRate);
                    o.MaxSequenceLength = parsed.GetValue(maxLength); o.Seed = seed; o.LoggingSteps = 0; o.NumberOfThreads = parsed.GetValue(threads);
                }
                ErnieClassifierTransformerBase model;
                if (method == "prompt")
                {
                    var o = new PromptErnieTrainer.Options { Prompt = parsed.GetValue(prompt), LabelWords = words.ToDictionary(kv => kv.Key, kv => kv.Value), PromptLearningRate = parsed.GetValue(headLearningRate) };
                    Common(o);
                    model = ml.MultiLabelClassification().Trainers.PromptErnie(o, multiLabel).Fit(View(train));
                }
                else if (method == "finetune")
                {
                    var o = new ErnieTextClassificationTrainer.Options { ClassifierLearningRate = parsed.GetValue(headLearningRate) };
                    Common(o);
                    model = ml.MultiLabelClassification().Trainers.ErnieTextClassification(o, multiLabel).Fit(View(train));
                }
                else throw new ArgumentException($"unknown method '{method}' (prompt, finetune)");
                var report = model.TrainingReport;
                double trainSeconds = clock.Elapsed.TotalSeconds;
                var devProbs = model.PredictProbabilities(dev.Rows.Select(r => r.Text).ToList());
                var testProbs = model.PredictProbabilities(test.Rows.Select(r => r.Text).ToList());
                var thresholds = LabelThresholds.Tune(devProbs, dev.Gold, folder.Labels.Count);
                MultiLabelClassificationMetrics Score(float[][] probs, int[][] gold, float[] t) => MultiLabelClassificationMetrics.Compute(gold,
                    probs.Select(p => (IReadOnlyCollection<int>)(tree is null ? LabelThresholds.Apply(p, t) : tree.Complete(LabelThresholds.Apply(p, t)))).ToArray(), folder.Labels, tree);
                var atDefault = Score(testProbs, test.Gold, null);
                var tuned = Score(testProbs, test.Gold, thresholds);
                double seconds = clock.Elapsed.TotalSeconds;
                Console.WriteLine($"{method,-8} seed {seed}: test micro-F1 {atDefault.MicroF1:P2} macro-F1 {atDefault.MacroF1:P2} | tuned thresholds {tuned.MicroF1:P2} / {tuned.MacroF1:P2} | " +
                                  $"dev macro-F1 {report.BestValidationAccuracy:P2} at step {report.BestStep}/{report.Steps} | train {trainSeconds:F0} s, total {seconds:F0} s" +
                                  (tree is null ? "" : " | per level micro/macro " + string.Join(", ", atDefault.PerLevel.Select((m, i) => $"L{i + 1} {m.MicroF1:P1}/{m.MacroF1:P1}"))));
                results.Add(new JsonObject
                {
                    ["method"] = method, ["seed"] = seed, ["microF1"] = atDefault.MicroF1, ["macroF1"] = atDefault.MacroF1,
                    ["tunedMicroF1"] = tuned.MicroF1, ["tunedMacroF1"] = tuned.MacroF1, ["subsetAccuracy"] = atDefault.SubsetAccuracy, ["hammingLoss"] = atDefault.HammingLoss,
                    ["devMacroF1"] = report.BestValidationAccuracy, ["bestStep"] = report.BestStep, ["steps"] = report.Steps,
                    ["trainSeconds"] = trainSeconds, ["totalSeconds"] = seconds,
                    ["perLevel"] = new JsonArray(atDefault.PerLevel.Select(m => (JsonNode)new JsonObject { ["microF1"] = m.MicroF1, ["macroF1"] = m.MacroF1 }).ToArray()),
                    ["thresholds"] = new JsonArray(thresholds.Select(t => (JsonNode)t).ToArray()),
                });
                model.Dispose();
            }

        Console.WriteLine($"\n{"method",-8} {"micro-F1",9} {"macro-F1",9} {"tuned micro",11} {"tuned macro",11} {"seconds",8}   (mean ± std over seeds)");
        foreach (var group in results.GroupBy(r => r["method"].GetValue<string>()))
        {
            string Stat(string key)
            {
                var v = group.Select(r => r[key].GetValue<double>()).ToArray();
                double mean = v.Average(), std = Math.Sqrt(v.Select(x => (x - mean) * (x - mean)).Sum() / Math.Max(1, v.Length - 1));
                return $"{mean * 100:F2}±{std * 100:F2}";
            }
            Console.WriteLine($"{group.Key,-8} {Stat("microF1"),11} {Stat("macroF1"),11} {Stat("tunedMicroF1"),11} {Stat("tunedMacroF1"),11} {group.Average(r => r["totalSeconds"].GetValue<double>()),8:F0}");
        }
        if (parsed.GetValue(output) is { } file)
        {
            var doc = new JsonObject
            {
                ["dataDir"] = folder.Path, ["model"] = parsed.GetValue(model) ?? "bundled", ["prompt"] = parsed.GetValue(prompt), ["maxSteps"] = parsed.GetValue(maxSteps),
                ["evalSteps"] = parsed.GetValue(evalSteps), ["patience"] = parsed.GetValue(patience), ["batchSize"] = parsed.GetValue(batchSize),
                ["learningRate"] = parsed.GetValue(learningRate), ["headLearningRate"] = parsed.GetValue(headLearningRate), ["threads"] = parsed.GetValue(threads),
                ["runs"] = results,
            };
            File.WriteAllText(file, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        }
        return 0;
    }
}
