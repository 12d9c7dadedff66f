// FewCLUE TNEWS benchmark: zero-shot prompt scoring (no training), prompt learning and fine-tuning on each of the five
// FewCLUE splits (train_K.txt / dev_K.txt with early stopping on dev, evaluated on test.txt); prints a table and writes JSON.
//   dotnet run -c Release --project examples/FewClueBenchmark -- --data-dir ../shared/data/fewclue/tnews [--splits 0-4] [--model DIR] [--json]
//   [--methods zeroShot,prompt,finetune] [--threads N] [--prompt TEMPLATE] [--zero-shot-prompt TEMPLATE]
//   [--rdrop ALPHA] [--rgl ALPHA] (prompt learning) [--pooling auto|pooler|cls|mean] (fine-tuning)
// Prompt learning uses a P-tuning style soft template by default; zero-shot scoring needs a template without untrained
// soft tokens, so it has its own (hard) prompt.
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.PromptLearning;
using Microsoft.ML.PromptLearning.Data;

var o = BenchmarkOptions.Parse(args);
var folder = FewShotDataFolder.Open(o.DataDir);
var ml = new MLContext(seed: o.Seed);
var keyMap = folder.CreateLabelKeyMap(ml);
var test = keyMap.Transform(ml.Data.LoadFromEnumerable(folder.ReadLabeled("test.txt")));
var words = folder.LabelWords.ToDictionary(kv => kv.Key, kv => kv.Value);
var methods = o.Methods;
if (o.Threads > 0) TorchSharp.torch.set_num_threads(o.Threads);
var results = methods.ToDictionary(m => m, _ => new List<(double Accuracy, double Seconds, double SamplesPerSecond)>());

foreach (int split in o.Splits)
{
    var train = keyMap.Transform(ml.Data.LoadFromEnumerable(folder.ReadLabeled($"train_{split}.txt")));
    var dev = keyMap.Transform(ml.Data.LoadFromEnumerable(folder.ReadLabeled($"dev_{split}.txt")));
    foreach (var method in methods)
    {
        IEstimator<ITransformer> estimator = method switch
        {
            "zeroShot" => ml.MulticlassClassification.Trainers.PromptErnie(new PromptErnieTrainer.Options
            {
                ModelPath = o.Model, Prompt = o.ZeroShotPrompt, LabelWords = words, Verbalizer = PromptVerbalizerKind.Manual, MaxSteps = 0, NumberOfEpochs = 0,
            }),
            "prompt" => ml.MulticlassClassification.Trainers.PromptErnie(new PromptErnieTrainer.Options
            {
                ModelPath = o.Model, Prompt = o.Prompt, LabelWords = words, Verbalizer = o.Verbalizer, ValidationSet = dev,
                MaxSteps = o.MaxSteps, EvalSteps = o.EvalSteps, EarlyStoppingPatience = o.Patience, BatchSize = o.BatchSize,
                LearningRate = o.LearningRate, PromptLearningRate = o.HeadLearningRate, Seed = o.Seed + split,
                UseRDrop = o.AlphaRDrop > 0, AlphaRDrop = o.AlphaRDrop, UseRgl = o.AlphaRgl > 0, AlphaRgl = o.AlphaRgl,
            }),
            _ => ml.MulticlassClassification.Trainers.ErnieTextClassification(new ErnieTextClassificationTrainer.Options
            {
                ModelPath = o.Model, ValidationSet = dev, MaxSteps = o.MaxSteps, EvalSteps = o.EvalSteps, EarlyStoppingPatience = o.Patience,
                BatchSize = o.BatchSize, LearningRate = o.LearningRate, ClassifierLearningRate = o.HeadLearningRate, Seed = o.Seed + split,
                Pooling = o.Pooling,
            }),
        };
        var model = (ErnieClassifierTransformerBase)estimator.Fit(train);
        double accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
        results[method].Add((accuracy, model.TrainingReport.TrainSeconds, model.TrainingReport.SamplesPerSecond));
        Console.WriteLine($"split {split} {method,-9} test accuracy {accuracy:P2} (train {model.TrainingReport.TrainSeconds:F0} s, {model.TrainingReport.Steps} steps, best step {model.TrainingReport.BestStep})");
        model.Dispose();
    }
}

var json = new JsonObject();
Console.WriteLine($"\n{"method",-10} {"mean",8} {"std",7}  per split");
foreach (var method in methods)
{
    var acc = results[method].Select(r => r.Accuracy).ToArray();
    double mean = acc.Average(), std = Math.Sqrt(acc.Select(a => (a - mean) * (a - mean)).Sum() / Math.Max(1, acc.Length - 1));
    Console.WriteLine($"{method,-10} {mean,8:P2} {std,7:P2}  {string.Join(" ", acc.Select(a => a.ToString("P1")))}");
    json[method] = new JsonObject
    {
        ["mean"] = mean, ["std"] = std, ["perSplit"] = new JsonArray(acc.Select(a => (JsonNode)a).ToArray()),
        ["trainSeconds"] = results[method].Average(r => r.Seconds), ["samplesPerSecond"] = results[method].Average(r => r.SamplesPerSecond),
        ["template"] = method switch { "zeroShot" => o.ZeroShotPrompt, "prompt" => o.Prompt, _ => null },
        ["pooling"] = method == "finetune" ? o.Pooling.ToString() : null,
    };
}
if (o.Output is not null) File.WriteAllText(o.Output, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
if (o.Json) Console.WriteLine(json.ToJsonString());

internal sealed class BenchmarkOptions
{
    public string DataDir = "../shared/data/fewclue/tnews";
    public int[] Splits = { 0, 1, 2, 3, 4 };
    public string Model;
    public string Prompt = "{'soft'}{'text':'text_a'}{'soft':'这条新闻标题的主题是','encoder':'lstm'}{'mask'}{'mask'}";
    public string ZeroShotPrompt = "这条新闻标题的主题是";
    public PromptVerbalizerKind Verbalizer = PromptVerbalizerKind.Soft;
    public int MaxSteps = 600, EvalSteps = 30, Patience = 5, BatchSize = 8, Seed = 42;
    public double LearningRate = 1e-4, HeadLearningRate = 1e-3, AlphaRDrop, AlphaRgl;
    public FineTunePooling Pooling = FineTunePooling.Auto;
    public bool Json;
    public string Output;
    public string[] Methods = { "zeroShot", "prompt", "finetune" };
    public int Threads;

    public static BenchmarkOptions Parse(string[] args)
    {
        var o = new BenchmarkOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--data-dir": o.DataDir = Next(); break;
                case "--splits": o.Splits = ParseSplits(Next()); break;
                case "--model": o.Model = Next(); break;
                case "--prompt": o.Prompt = Next(); break;
                case "--zero-shot-prompt": o.ZeroShotPrompt = Next(); break;
                case "--verbalizer": o.Verbalizer = Enum.Parse<PromptVerbalizerKind>(Next(), ignoreCase: true); break;
                case "--max-steps": o.MaxSteps = int.Parse(Next()); break;
                case "--eval-steps": o.EvalSteps = int.Parse(Next()); break;
                case "--patience": o.Patience = int.Parse(Next()); break;
                case "--batch-size": o.BatchSize = int.Parse(Next()); break;
                case "--learning-rate": o.LearningRate = double.Parse(Next()); break;
                case "--head-learning-rate": o.HeadLearningRate = double.Parse(Next()); break;
                case "--seed": o.Seed = int.Parse(Next()); break;
                case "--rdrop": o.AlphaRDrop = double.Parse(Next()); break;
                case "--rgl": o.AlphaRgl = double.Parse(Next()); break;
                case "--pooling": o.Pooling = Enum.Parse<FineTunePooling>(Next(), ignoreCase: true); break;
                case "--output": o.Output = Next(); break;
                case "--methods":
                    o.Methods = Next().Split(',');
                    if (o.Methods.Except(new[] { "zeroShot", "prompt", "finetune" }).FirstOrDefault() is { } bad)
                        throw new ArgumentException($"unknown method '{bad}' (zeroShot, prompt, finetune)");
                    break;
                case "--threads": o.Threads = int.Parse(Next()); break;
                case "--json": o.Json = true; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return o;
    }

    /// <summary>"0-4", "0", or "0,2".</summary>
    public static int[] ParseSplits(string s) => s.Contains('-')
        ? Enumerable.Range(int.Parse(s.Split('-')[0]), int.Parse(s.Split('-')[1]) - int.Parse(s.Split('-')[0]) + 1).ToArray()
        : s.Split(',').Select(int.Parse).ToArray();
}
