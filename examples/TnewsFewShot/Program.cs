// Few-shot news-title classification, PaddleNLP's walk-through in ML.NET: prompt learning and the fine-tune baseline side by
// side on a data folder in PaddleNLP layout (train.txt, dev.txt, test.txt, label.txt). By default it uses the small
// hand-written sample next to this file and the bundled Chinese model; --data-dir ../shared/data/fewclue/tnews runs the
// real FewCLUE TNEWS benchmark (240 training titles, 15 classes).
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning;
using Microsoft.ML.PromptLearning.Data;
using Microsoft.ML.PromptLearning.Evaluation;

var options = ExampleOptions.Parse(args);
if (options.ScoreZip is not null) return ScoreInSeparateProcess(options);

var folder = FewShotDataFolder.Open(options.DataDir);
var ml = new MLContext(seed: options.Seed);
var train = ml.Data.LoadFromEnumerable(folder.ReadLabeled("train.txt"));
var dev = folder.Has("dev.txt") ? ml.Data.LoadFromEnumerable(folder.ReadLabeled("dev.txt")) : null;
var testRows = folder.ReadLabeled("test.txt");
var test = ml.Data.LoadFromEnumerable(testRows);
// The label key covers every label of label.txt (in its order), so classes missing from the few-shot set still get scores.
var keyMap = folder.CreateLabelKeyMap(ml);
ml.Log += (_, e) => { if (!options.Json && e.Source.EndsWith("Trainer; Training", StringComparison.Ordinal) && e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info) Console.WriteLine($"  {e.RawMessage}"); };

Console.WriteLine($"data: {options.DataDir} ({folder.Labels.Count} labels), model: {options.Model ?? "bundled ChineseMini"}");
var prompt = ml.MulticlassClassification.Trainers.PromptErnie(new PromptErnieTrainer.Options
{
    ModelPath = options.Model, Prompt = options.Prompt, LabelWords = folder.LabelWords.ToDictionary(kv => kv.Key, kv => kv.Value),
    ValidationSet = dev is null ? null : keyMap.Transform(dev), MaxSteps = options.MaxSteps, EvalSteps = options.EvalSteps,
    LearningRate = options.LearningRate, PromptLearningRate = options.PromptLearningRate, BatchSize = 8, Seed = options.Seed,
});
var finetune = ml.MulticlassClassification.Trainers.ErnieTextClassification(new ErnieTextClassificationTrainer.Options
{
    ModelPath = options.Model, ValidationSet = dev is null ? null : keyMap.Transform(dev), MaxSteps = options.MaxSteps, EvalSteps = options.EvalSteps,
    LearningRate = options.LearningRate, ClassifierLearningRate = options.PromptLearningRate, BatchSize = 8, Seed = options.Seed,
});

var report = new JsonObject();
ITransformer promptModel = null;
foreach (var (name, estimator) in new (string, IEstimator<ITransformer>)[] { ("prompt", prompt), ("finetune", finetune) })
{
    Console.WriteLine($"\n== {name} ==");
    var clock = Stopwatch.StartNew();
    var model = keyMap.Append(estimator.Fit(keyMap.Transform(train)));
    double trainSeconds = clock.Elapsed.TotalSeconds;
    var scored = model.Transform(test);
    var metrics = ml.MulticlassClassification.Evaluate(scored);
    double macroF1 = ClassificationReport.From(metrics, folder.Labels).MacroF1;
    Console.WriteLine($"test accuracy {metrics.MicroAccuracy:P2}, macro-F1 {macroF1:P2}, trained in {trainSeconds:F1} s");
    if (!options.Json) Console.WriteLine(metrics.ConfusionMatrix.GetFormattedConfusionTable());
    var trained = (ErnieClassifierTransformerBase)((TransformerChain<ITransformer>)model).LastTransformer;
    report[name] = new JsonObject
    {
        ["accuracy"] = metrics.MicroAccuracy, ["macroF1"] = macroF1, ["trainSeconds"] = trainSeconds,
        ["samplesPerSecond"] = trained.TrainingReport.SamplesPerSecond, ["steps"] = trained.TrainingReport.Steps,
    };
    if (name == "prompt") promptModel = model;
}

// Save the prompt model, reload it in a separate process, and check that it scores the test set identically.
var zip = Path.Combine(options.OutputDir, "prompt-model.zip");
Directory.CreateDirectory(options.OutputDir);
ml.Model.SavePromptModel(promptModel, test.Schema, zip);   // Model.Save, written atomically
var here = promptModel.Transform(test).GetColumn<float[]>("Score").ToList();
var scoresFile = Path.Combine(options.OutputDir, "reloaded-scores.json");
var child = Process.Start(new ProcessStartInfo("dotnet", new[] { typeof(ExampleOptions).Assembly.Location, "--score-zip", zip, "--data-dir", options.DataDir, "--out", scoresFile })
    { RedirectStandardOutput = true, RedirectStandardError = true })!;
child.WaitForExit();
bool identical = child.ExitCode == 0 && JsonSerializer.Deserialize<float[][]>(File.ReadAllText(scoresFile))!.Zip(here).All(p => p.First.SequenceEqual(p.Second));
report["reloadIdentical"] = identical;
Console.WriteLine($"\nsaved {zip}; reloaded in a separate process: {(identical ? "identical scores" : "DIFFERENT scores: " + child.StandardError.ReadToEnd())}");

// A few predictions with the reloaded model through a PredictionEngine.
var reloaded = ml.Model.LoadPromptModel(zip, out _);   // Model.Load after checking the file (truncation, checksums, model kind, version)
var engine = ml.Model.CreatePredictionEngine<LabeledText, Prediction>(reloaded);
var names = folder.Labels;
foreach (var row in testRows.Take(3))
{
    var p = engine.Predict(new LabeledText { Text = row.Text });
    Console.WriteLine($"  {row.Text} → {names[(int)p.PredictedLabel - 1]} ({p.Score.Max():P1}); gold {row.Label}");
}
if (options.Json) Console.WriteLine(report.ToJsonString());
return identical ? 0 : 1;

static int ScoreInSeparateProcess(ExampleOptions options)
{
    var ml = new MLContext();
    var model = ml.Model.LoadPromptModel(options.ScoreZip, out _);
    var test = ml.Data.LoadFromEnumerable(FewShotDataFolder.Open(options.DataDir).ReadLabeled("test.txt"));
    File.WriteAllText(options.Out, JsonSerializer.Serialize(model.Transform(test).GetColumn<float[]>("Score").ToArray()));
    return 0;
}

internal sealed class Prediction
{
    public uint PredictedLabel { get; set; }
    public float[] Score { get; set; }
}

internal sealed class ExampleOptions
{
    public string DataDir = Path.Combine(AppContext.BaseDirectory, "data");
    public string Model;
    public string Prompt = "这条新闻标题的主题是";
    public int MaxSteps = 300;
    public int EvalSteps = 30;
    public int Seed = 42;
    public double LearningRate = 1e-4;
    public double PromptLearningRate = 1e-3;
    public bool Json;
    public string OutputDir = Path.Combine(Path.GetTempPath(), "tnews-few-shot");
    public string ScoreZip, Out;

    public static ExampleOptions Parse(string[] args)
    {
        var o = new ExampleOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--data-dir": o.DataDir = Next(); break;
                case "--model": o.Model = Next(); break;
                case "--prompt": o.Prompt = Next(); break;
                case "--max-steps": o.MaxSteps = int.Parse(Next()); break;
                case "--eval-steps": o.EvalSteps = int.Parse(Next()); break;
                case "--seed": o.Seed = int.Parse(Next()); break;
                case "--learning-rate": o.LearningRate = double.Parse(Next()); break;
                case "--ppt-learning-rate": o.PromptLearningRate = double.Parse(Next()); break;
                case "--output-dir": o.OutputDir = Next(); break;
                case "--json": o.Json = true; break;
                case "--score-zip": o.ScoreZip = Next(); break;
                case "--out": o.Out = Next(); break;
                default: throw new ArgumentException($"unknown option {args[i]} (see the comment at the top of Program.cs)");
            }
        }
        return o;
    }
}
