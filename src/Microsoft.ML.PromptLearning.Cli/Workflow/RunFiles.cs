using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.PromptLearning.Cli.Workflow;

/// <summary>Names of what <c>prompt-learn train</c> writes into its output folder, and the atomic JSON writer for them.</summary>
internal static class RunFiles
{
    public const string ModelZip = "model.zip";
    public const string TrainResults = "train_results.json";
    public const string EvalResults = "eval_results.json";
    public const string TestResults = "test_results.json";
    public const string TestPredictions = "test_predictions.txt";
    public const string TrainingLog = "training_log.jsonl";
    public const string TrainingCurves = "training_curves.png";
    public const string EvalConfusion = "eval_confusion_matrix.png";
    public const string TestConfusion = "test_confusion_matrix.png";
    public const string ExportFolder = "export";
    public const string OnnxModel = "model.onnx";
    public const string SelfTrainingFolder = "self-training";

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>As <see cref="Json"/> on one line (JSON Lines files).</summary>
    public static readonly JsonSerializerOptions JsonLine = new(Json) { WriteIndented = false };

    public static void WriteJson(string path, object value) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, Json) + "\n");

    /// <summary>The model zip of an output folder, or the zip itself.</summary>
    public static string ResolveModelZip(string path)
    {
        if (File.Exists(path)) return path;
        if (Directory.Exists(path))
        {
            var zip = Path.Combine(path, ModelZip);
            if (File.Exists(zip)) return zip;
            throw new UsageException($"--model: folder '{path}' has no {ModelZip}; give a 'prompt-learn train' output folder or a model zip.");
        }
        throw new UsageException($"--model: '{path}' does not exist; give a 'prompt-learn train' output folder or a model zip.");
    }
}
