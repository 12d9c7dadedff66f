// FewCLUE benchmark on any PaddleNLP-layout folder (train_K.txt / dev_K.txt splits, test.txt, label.txt, data.txt): for each
// split, every method trains with early stopping on dev_K.txt and is evaluated on test.txt; prints a table and writes JSON.
//   dotnet run -c Release --project examples/FewClueBenchmark -- --data-dir ../shared/data/fewclue/tnews [--splits 0-4] [--model DIR] [--json]
//   [--methods zeroShot,prompt,finetune,finetuneUnlabeled,promptEnsemble,pet,ipet] [--threads N] [--prompt TEMPLATE]...
//   [--zero-shot-prompt TEMPLATE] [--unlabeled-file data.txt|none] [--max-unlabeled N] [--generations G] [--run-dir DIR]
//   [--rdrop ALPHA] [--rgl ALPHA] (prompt learning) [--pooling auto|pooler|cls|mean] (fine-tuning)
// Methods: zeroShot (no training), prompt (the first template), finetune, promptEnsemble (one prompt model per template,
// weighted by dev accuracy), finetuneUnlabeled (fine-tune teacher distilled into a fine-tune student on the unlabeled texts:
// what the unlabeled data gives without prompts), pet (prompt + fine-tune teachers distilled into a fine-tune student) and
// ipet (the same with --generations teacher generations). Methods share trained teachers through --run-dir.
using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning;
using Microsoft.ML.PromptLearning.Data;

BenchmarkOptions o;
try { o = BenchmarkOptions.Parse(args); }
catch (ArgumentException e) { Console.Error.WriteLine($"error: {e.Message}"); return 2; }
var folder = FewShotDataFolder.Open(o.DataDir);
var ml = new MLContext(seed: o.Seed);
if (o.Verbose)
    ml.Log += (_, e) =>
    {
        if (e.Kind <= Microsoft.ML.Runtime.ChannelMessageKind.Info && (e.Source.Contains("Pet") || e.Source.Contains("Ernie") || e.Source.Contains("Self") || e.Source.Contains("Distil")))
            Console.WriteLine($"  [{DateTime.Now:HH:mm:ss}] {e.Message}");
    };
var keyMap = folder.CreateLabelKeyMap(ml);
var testRows = folder.ReadLabeled("test.txt");
var test = keyMap.Transform(ml.Data.LoadFromEnumerable(testRows));
var words = folder.LabelWords.ToDictionary(kv => kv.Key, kv => kv.Value);
var methods = o.Methods;
if (o.Threads > 0) TorchSharp.torch.set_num_threads(o.Threads);
IDataView unlabeled = null;
if (o.UnlabeledFile != "none" && folder.Has(o.UnlabeledFile))
{
    var texts = folder.ReadUnlabeled(o.UnlabeledFile);
    var testTexts = new HashSet<string>(testRows.Select(r => r.Text));
    int overlap = texts.Count(testTexts.Contains);
    if (overlap > 0) Console.Error.WriteLine($"warning: {overlap} texts of {o.UnlabeledFile} are also in test.txt; results on test.txt will be inflated.");
    unlabeled = ml.Data.LoadFromEnumerable(texts.Select(t => new LabeledText { Text = t }));
    Console.WriteLine($"unlabeled: {texts.Count} texts from {o.UnlabeledFile}");
}
if (unlabeled is null && methods.Any(m => m is "finetuneUnlabeled" or "pet" or "ipet" or "petPromptStudent"))
{
    Console.Error.WriteLine($"error: the methods {string.Join(", ", methods.Where(m => m is "finetuneUnlabeled" or "pet" or "ipet" or "petPromptStudent"))} need unlabeled texts ({o.UnlabeledFile} in {o.DataDir}, or --unlabeled-file)");
    return 2;
}
var results = methods.ToDictionary(m => m, _ => new List<MethodResult>());
var total = Stopwatch.StartNew();

foreach (int split in o.Splits)
{
    var train = keyMap.Transform(ml.Data.LoadFromEnumerable(folder.ReadLabeled($"train_{split}.txt")));
    var dev = keyMap.Transform(ml.Data.LoadFromEnumerable(folder.ReadLabeled($"dev_{split}.txt")));
    var runDir = Path.Combine(o.RunDir, $"split{split}");
    PetTrainer Pet(PetTeachers teachers, IList<string> prompts, int generations = 1, PetStudent student = PetStudent.FineTune) =>
        ml.MulticlassClassification.Trainers.Pet(new PetTrainer.Options
        {
            ModelPath = o.Model, Prompts = prompts, LabelWords = words, Verbalizer = o.Verbalizer, ValidationSet = dev,
            MaxSteps = o.MaxSteps, EvalSteps = o.EvalSteps, EarlyStoppingPatience = o.Patience, BatchSize = o.BatchSize,
            LearningRate = o.LearningRate, PromptLearningRate = o.HeadLearningRate, Seed = o.Seed + split,
            UseRDrop = o.AlphaRDrop > 0, AlphaRDrop = o.AlphaRDrop, UseRgl = o.AlphaRgl > 0, AlphaRgl = o.AlphaRgl, FineTunePooling = o.Pooling,
            UnlabeledData = unlabeled, Teachers = teachers, Generations = generations, Student = student,
            MaxUnlabeledExamples = o.MaxUnlabeled, Temperature = o.Temperature, RunDirectory = runDir, LoggingSteps = 0,
        });
    foreach (var method in methods)
    {
        var clock = Stopwatch.StartNew();
        ClassifierTransformerBase model = method switch
        {
            "zeroShot" => ml.MulticlassClassification.Trainers.PromptErnie(new PromptErnieTrainer.Options
            {
                ModelPath = o.Model, Prompt = o.ZeroShotPrompt, LabelWords = words, Verbalizer = PromptVerbalizerKind.Manual, MaxSteps = 0, NumberOfEpochs = 0,
            }).Fit(train),
            "prompt" => Pet(PetTeachers.Prompt, o.Prompts.Take(1).ToList()).FitEnsemble(train),
            "finetune" => Pet(PetTeachers.FineTune, null).FitEnsemble(train),
            "promptEnsemble" => Pet(PetTeachers.Prompt, o.Prompts).FitEnsemble(train),
            "finetuneUnlabeled" => Pet(PetTeachers.FineTune, null).Fit(train),
            "pet" => Pet(PetTeachers.PromptAndFineTune, o.Prompts).Fit(train),
            "petPromptStudent" => Pet(PetTeachers.PromptAndFineTune, o.Prompts, student: PetStudent.Prompt).Fit(train),
            _ => Pet(PetTeachers.PromptAndFineTune, o.Prompts, o.Generations).Fit(train),
        };
        var testMetrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        double devAccuracy = ml.MulticlassClassification.Evaluate(model.Transform(dev)).MicroAccuracy;
        var r = new MethodResult(testMetrics.MicroAccuracy, MacroF1(testMetrics.ConfusionMatrix), devAccuracy, clock.Elapsed.TotalSeconds);
        results[method].Add(r);
        Console.WriteLine($"split {split} {method,-17} test accuracy {r.Accuracy:P2} macro-F1 {r.MacroF1:P2} dev {r.DevAccuracy:P2} ({r.Seconds:F0} s)" + Describe(model.SelfTrainingReport));
        model.Dispose();
    }
}

var json = new JsonObject();
Console.WriteLine($"\n{"method",-17} {"mean",8} {"std",7} {"macro-F1",8} {"dev",7}  per split");
foreach (var method in methods)
{
    var acc = results[method].Select(r => r.Accuracy).ToArray();
    double mean = acc.Average(), std = Math.Sqrt(acc.Select(a => (a - mean) * (a - mean)).Sum() / Math.Max(1, acc.Length - 1));
    Console.WriteLine($"{method,-17} {mean,8:P2} {std,7:P2} {results[method].Average(r => r.MacroF1),8:P2} {results[method].Average(r => r.DevAccuracy),7:P2}  {string.Join(" ", acc.Select(a => a.ToString("P1")))}");
    json[method] = new JsonObject
    {
        ["mean"] = mean, ["std"] = std, ["perSplit"] = new JsonArray(acc.Select(a => (JsonNode)a).ToArray()),
        ["macroF1"] = results[method].Average(r => r.MacroF1), ["devAccuracy"] = results[method].Average(r => r.DevAccuracy),
        ["seconds"] = results[method].Average(r => r.Seconds),
        ["templates"] = method switch
        {
            "zeroShot" => new JsonArray(o.ZeroShotPrompt), "prompt" => new JsonArray(o.Prompts[0]), "finetune" or "finetuneUnlabeled" => null,
            _ => new JsonArray(o.Prompts.Select(p => (JsonNode)p).ToArray()),
        },
    };
}
var settings = new JsonObject
{
    ["dataDir"] = o.DataDir, ["splits"] = string.Join(",", o.Splits), ["model"] = o.Model ?? "bundled", ["threads"] = o.Threads,
    ["maxUnlabeled"] = o.MaxUnlabeled, ["temperature"] = o.Temperature, ["generations"] = o.Generations, ["pooling"] = o.Pooling.ToString(),
    ["totalSeconds"] = total.Elapsed.TotalSeconds,
};
if (o.Json) Console.WriteLine(json.ToJsonString());   // one key per method
json["settings"] = settings;                           // the file also records how it was run
if (o.Output is not null) File.WriteAllText(o.Output, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
return 0;

static double MacroF1(ConfusionMatrix m)
{
    var f1 = m.PerClassPrecision.Zip(m.PerClassRecall, (p, r) => p + r > 0 ? 2 * p * r / (p + r) : 0).ToArray();
    return f1.Average();
}

static string Describe(SelfTrainingReport report) => report is null ? "" :
    "\n    " + string.Join("\n    ", report.Generations.Select(g =>
        $"generation {g.Generation} ({g.PseudoLabelledRows} pseudo-labels): ensemble dev {g.EnsembleValidationAccuracy:P2}; " +
        string.Join(", ", g.Teachers.Select(t => $"{t.Name} {t.ValidationAccuracy:P1} w{t.Weight:F2}"))))
    + (double.IsNaN(report.StudentValidationAccuracy) ? "" : $"\n    student dev {report.StudentValidationAccuracy:P2} on {report.UnlabeledRows} unlabeled texts")
    + (report.ReturnedTeacher is null ? "" : $"; far below the best teacher on dev, so {report.ReturnedTeacher} is returned instead");

internal sealed record MethodResult(double Accuracy, double MacroF1, double DevAccuracy, double Seconds);

internal sealed class BenchmarkOptions
{
    public string DataDir = "../shared/data/fewclue/tnews";
    public int[] Splits = { 0, 1, 2, 3, 4 };
    public string Model;
    public static readonly string[] DefaultPrompts =
    {
        "{'soft'}{'text':'text_a'}{'soft':'这条新闻标题的主题是','encoder':'lstm'}{'mask'}{'mask'}",
        "{'text':'text_a'}这条新闻标题的主题是{'mask'}{'mask'}",
        "新闻：{'text':'text_a'}{'soft':'这条新闻写的是'}{'mask'}{'mask'}",
    };
    public List<string> Prompts;
    public string UnlabeledFile = "data.txt";
    public int MaxUnlabeled = 4000, Generations = 2;
    public double Temperature = 2.0;
    public string RunDir = Path.Combine(Path.GetTempPath(), "fewclue-benchmark-runs");
    public string ZeroShotPrompt = "这条新闻标题的主题是";
    public PromptVerbalizerKind Verbalizer = PromptVerbalizerKind.Soft;
    public int MaxSteps = 600, EvalSteps = 30, Patience = 5, BatchSize = 8, Seed = 42;
    public double LearningRate = 1e-4, HeadLearningRate = 1e-3, AlphaRDrop, AlphaRgl;
    public FineTunePooling Pooling = FineTunePooling.Auto;
    public bool Json, Verbose;
    public string Output;
    public static readonly string[] AllMethods = { "zeroShot", "prompt", "finetune", "finetuneUnlabeled", "promptEnsemble", "pet", "petPromptStudent", "ipet" };
    public string[] Methods = { "zeroShot", "prompt", "finetune", "finetuneUnlabeled", "promptEnsemble", "pet", "ipet" };
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
                case "--prompt": (o.Prompts ??= new()).Add(Next()); break;
                case "--unlabeled-file": o.UnlabeledFile = Next(); break;
                case "--max-unlabeled": o.MaxUnlabeled = int.Parse(Next()); break;
                case "--generations": o.Generations = int.Parse(Next()); break;
                case "--temperature": o.Temperature = double.Parse(Next()); break;
                case "--run-dir": o.RunDir = Next(); break;
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
                    if (o.Methods.Except(AllMethods).FirstOrDefault() is { } bad)
                        throw new ArgumentException($"unknown method '{bad}' ({string.Join(", ", AllMethods)})");
                    break;
                case "--threads": o.Threads = int.Parse(Next()); break;
                case "--json": o.Json = true; break;
                case "--verbose": o.Verbose = true; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        o.Prompts ??= DefaultPrompts.ToList();
        return o;
    }

    /// <summary>"0-4", "0", or "0,2".</summary>
    public static int[] ParseSplits(string s) => s.Contains('-')
        ? Enumerable.Range(int.Parse(s.Split('-')[0]), int.Parse(s.Split('-')[1]) - int.Parse(s.Split('-')[0]) + 1).ToArray()
        : s.Split(',').Select(int.Parse).ToArray();
}
