// The install test's application: it takes Microsoft.ML.PromptLearning the way a user's application does (see run.sh,
// which builds it outside the solution from packed .nupkg files, or from project references) and goes through the
// first hour of use: train a prompt model with the bundled ChineseMini model, evaluate, save the zip, export ONNX and
// score through ONNX Runtime; "score" then loads the zip in a second process and checks the scores.
//   InstallCheck train DATA_DIR WORK_DIR
//   InstallCheck score DATA_DIR WORK_DIR
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning;
using Microsoft.ML.PromptLearning.Data;
using Microsoft.ML.PromptLearning.Onnx;

if (args.Length != 3 || args[0] is not ("train" or "score"))
{
    Console.Error.WriteLine("usage: InstallCheck train|score DATA_DIR WORK_DIR");
    return 2;
}
var (mode, dataDir, work) = (args[0], args[1], args[2]);
var folder = FewShotDataFolder.Open(dataDir);
var ml = new MLContext(seed: 42);
var testRows = folder.ReadLabeled("test.txt");
var test = ml.Data.LoadFromEnumerable(testRows);
var zip = Path.Combine(work, "model.zip");
var scoresFile = Path.Combine(work, "scores.json");
return mode == "train" ? Train() : Score();

int Train()
{
    Directory.CreateDirectory(work);
    var keyMap = folder.CreateLabelKeyMap(ml);
    var train = keyMap.Transform(ml.Data.LoadFromEnumerable(folder.ReadLabeled("train.txt")));
    var dev = keyMap.Transform(ml.Data.LoadFromEnumerable(folder.ReadLabeled("dev.txt")));
    int progressMessages = 0;
    ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info && e.Message.Contains("step ")) progressMessages++; };
    var trainer = ml.MulticlassClassification.Trainers.PromptErnie(new PromptErnieTrainer.Options
    {
        ModelPath = null,                       // the bundled model of the Microsoft.ML.PromptLearning.Models.ChineseMini package
        Prompt = "这条新闻标题的主题是",
        LabelWords = folder.LabelWords.ToDictionary(kv => kv.Key, kv => kv.Value),
        ValidationSet = dev, MaxSteps = 6, EvalSteps = 3, LoggingSteps = 2, BatchSize = 8, LearningRate = 1e-4, PromptLearningRate = 1e-3,
    });
    var model = keyMap.Append(trainer.Fit(train));
    var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
    Check(metrics.MicroAccuracy is >= 0 and <= 1 && !double.IsNaN(metrics.LogLoss), $"metrics out of range: accuracy {metrics.MicroAccuracy}, log-loss {metrics.LogLoss}");
    Check(progressMessages > 0, "MLContext.Log received no training progress messages");
    Console.WriteLine($"trained 6 steps; test accuracy {metrics.MicroAccuracy:P1}, log-loss {metrics.LogLoss:F3}; {progressMessages} progress messages in MLContext.Log");

    ml.Model.Save(model, test.Schema, zip);
    var scores = model.Transform(test).GetColumn<float[]>("Score").ToArray();
    File.WriteAllText(scoresFile, JsonSerializer.Serialize(scores));

    var prompt = (PromptErnieTransformer)model.LastTransformer;
    var onnxPath = Path.Combine(work, "export", "model.onnx");
    Directory.CreateDirectory(Path.GetDirectoryName(onnxPath));
    prompt.ExportToOnnx(onnxPath);
    using var predictor = new OnnxPredictor(onnxPath);
    var onnxScores = predictor.PredictProbabilities(testRows.Select(r => r.Text).ToList());
    Check(MaxDifference(scores, onnxScores) < 1e-4, $"ONNX Runtime scores differ from TorchSharp's by {MaxDifference(scores, onnxScores):E2}");
    var pipeline = prompt.ToOnnxScoringPipeline(ml);
    var pipelineScores = pipeline.Transform(test).GetColumn<float[]>("Score").ToArray();
    Check(MaxDifference(scores, pipelineScores) < 1e-4, $"ApplyOnnxModel scores differ from TorchSharp's by {MaxDifference(scores, pipelineScores):E2}");
    Console.WriteLine($"saved {zip}; ONNX Runtime ({predictor.ExecutionProvider}) and ApplyOnnxModel agree with TorchSharp (max difference {MaxDifference(scores, onnxScores):E1})");
#if WITH_MLNET_TORCHSHARP
    // Microsoft.ML.TorchSharp beside us: its trainer must load against the same TorchSharp.
    var textClassification = Microsoft.ML.TorchSharp.TorchSharpCatalog.TextClassification(ml.MulticlassClassification.Trainers, sentence1ColumnName: "Text");
    var theirs = typeof(Microsoft.ML.TorchSharp.TorchSharpCatalog).Assembly.GetReferencedAssemblies().First(a => a.Name == "TorchSharp");
    Console.WriteLine($"Microsoft.ML.TorchSharp loaded ({textClassification.GetType().Name}); TorchSharp in use {typeof(TorchSharp.torch).Assembly.GetName().Version}, it was built against {theirs.Version}");
#endif
    return 0;
}

int Score()
{
    var model = ml.Model.Load(zip, out _);
    var scores = model.Transform(test).GetColumn<float[]>("Score").ToArray();
    var saved = JsonSerializer.Deserialize<float[][]>(File.ReadAllText(scoresFile));
    Check(MaxDifference(saved, scores) == 0, $"the reloaded model scores differently (max difference {MaxDifference(saved, scores):E2})");
    var engine = ml.Model.CreatePredictionEngine<LabeledText, NewsPrediction>(model);
    var prediction = engine.Predict(new LabeledText { Text = testRows[0].Text });
    var name = folder.Labels[(int)prediction.PredictedLabel - 1];   // PredictedLabel is a 1-based key into the label.txt order
    Console.WriteLine($"reloaded {zip} in a second process: identical scores; '{testRows[0].Text}' → {name} ({prediction.Score.Max():P1})");
    return 0;
}

static double MaxDifference(float[][] a, float[][] b)
{
    if (a.Length != b.Length) return double.PositiveInfinity;
    return a.Zip(b).Max(p => p.First.Length != p.Second.Length ? double.PositiveInfinity : p.First.Zip(p.Second).Max(q => Math.Abs(q.First - q.Second)));
}

static void Check(bool ok, string problem)
{
    if (!ok) throw new InvalidOperationException(problem);
}

/// <summary>The prediction class: PredictedLabel is the label key (1-based), Score the probability of each label.</summary>
internal sealed class NewsPrediction
{
    public uint PredictedLabel { get; set; }
    public float[] Score { get; set; }
}
