using System.CommandLine;
using Microsoft.ML.PromptLearning.Cli.Workflow;
using Microsoft.ML.PromptLearning.Data;
using static Microsoft.ML.PromptLearning.Cli.OptionChecks;

namespace Microsoft.ML.PromptLearning.Cli.Commands;

/// <summary>Options every command on a trained model shares: the model (train output folder or zip).</summary>
internal abstract class TrainedModelCommand : System.CommandLine.Command
{
    protected readonly Option<string> Model = new("--model", "--model-path") { Description = "A 'prompt-learn train' output folder or its model.zip.", Required = true, HelpName = "DIR|ZIP" };
    protected readonly Option<string> Task = TaskOption.Create(null);
    protected readonly TextWriter Stdout;

    protected TrainedModelCommand(string name, string description, TextWriter stdout) : base(name, description)
    {
        Stdout = stdout;
        Options.Add(Model);
        Options.Add(Task);
        SetAction(Execute);
    }

    protected abstract int Execute(ParseResult parsed);

    /// <summary>Loads the model and checks it against <c>--task</c> when given.</summary>
    protected TrainedModel Load(ParseResult parsed, Option<string> model)
    {
        var loaded = TrainedModel.Load(new MLContext(), parsed.GetValue(model));
        try { TaskOption.Check(loaded, parsed.GetValue(Task)); }
        catch { loaded.Dispose(); throw; }
        return loaded;
    }
}

/// <summary><c>prompt-learn eval</c>: accuracy, macro-F1 and per-class scores of a trained model on a labelled split.</summary>
internal sealed class EvalCommand : TrainedModelCommand
{
    private readonly Option<string> dataDir = new("--data-dir") { Description = "Data folder in PaddleNLP layout.", Required = true, HelpName = "DIR" };
    private readonly Option<string> split = new("--split") { Description = "Labelled file inside --data-dir.", DefaultValueFactory = _ => "dev.txt", HelpName = "NAME" };
    private readonly Option<string> outputDir = new("--output-dir") { Description = "Also write eval_results.json and eval_confusion_matrix.png here.", HelpName = "DIR" };

    public EvalCommand(TextWriter stdout) : base("eval", "Evaluate a trained model on a labelled split (default dev.txt).", stdout)
    {
        Options.Add(dataDir);
        Options.Add(split);
        Options.Add(outputDir);
    }

    protected override int Execute(ParseResult parsed)
    {
        var folder = FewShotDataFolder.Open(CliPaths.Folder("--data-dir", parsed.GetValue(dataDir), "data folder"));
        using var model = Load(parsed, Model);
        var name = parsed.GetValue(split);
        var output = CliPaths.OutputFolder("--output-dir", parsed.GetValue(outputDir));
        if (!model.MultiLabel) RunSteps.Evaluate(model, name, folder.ReadLabeled(name), "eval", output, Stdout);
        else RunSteps.EvaluateMultiLabel(model, name, model.Hierarchy is null ? folder.ReadMultiLabeled(name) : folder.ReadHierarchical(name), "eval", output, Stdout);
        return CliApp.Success;
    }
}

/// <summary><c>prompt-learn predict</c>: labels for the texts of a file with the TorchSharp model (ONNX Runtime: <c>infer</c>).</summary>
internal sealed class PredictCommand : TrainedModelCommand
{
    private readonly Option<string> dataDir = new("--data-dir") { Description = "Data folder in PaddleNLP layout.", Required = true, HelpName = "DIR" };
    private readonly Option<string> file = new("--file") { Description = "File inside --data-dir: one text per line (a trailing '<TAB>label' is ignored).", DefaultValueFactory = _ => "test.txt", HelpName = "NAME" };
    private readonly Option<string> output = new("--output", "-o") { Description = "Where to write 'text<TAB>label' lines [default: stdout].", HelpName = "FILE" };
    private readonly Option<string> probabilities = new("--probabilities") { Description = "Also write every label's probability, one JSON object per line.", HelpName = "FILE.jsonl" };

    public PredictCommand(TextWriter stdout) : base("predict", "Predict labels for the texts of a file with a trained model.", stdout)
    {
        Options.Add(dataDir);
        Options.Add(file);
        Options.Add(output);
        Options.Add(probabilities);
    }

    protected override int Execute(ParseResult parsed)
    {
        var texts = FewShotDataFolder.Open(CliPaths.Folder("--data-dir", parsed.GetValue(dataDir), "data folder")).ReadUnlabeled(parsed.GetValue(file));
        using var model = Load(parsed, Model);
        if (model.MultiLabel)
        {
            var (labelProbabilities, sets) = model.PredictLabelSets(texts);
            Predictions.WriteSets(CliPaths.OutputFile("--output", parsed.GetValue(output)), CliPaths.OutputFile("--probabilities", parsed.GetValue(probabilities)), texts, labelProbabilities, sets, model.Labels, Stdout);
            return CliApp.Success;
        }
        var (probs, predicted) = model.Predict(texts);
        Predictions.Write(CliPaths.OutputFile("--output", parsed.GetValue(output)), CliPaths.OutputFile("--probabilities", parsed.GetValue(probabilities)), texts, probs, predicted, model.Labels, Stdout);
        return CliApp.Success;
    }
}

/// <summary><c>prompt-learn export</c>: the trained model as ONNX (PaddleNLP's <c>--do_export</c>).</summary>
internal sealed class ExportCommand : TrainedModelCommand
{
    private readonly Option<string> outputDir = new("--output-dir") { Description = "Folder for the ONNX file [default: export/ inside the --model folder].", HelpName = "DIR" };
    private readonly Option<string> precision = new("--precision") { Description = "fp32 (same numbers as TorchSharp), int8 (smaller, faster on CPU) or fp16 (GPU).", DefaultValueFactory = _ => "fp32", HelpName = "fp32|int8|fp16" };

    public ExportCommand(TextWriter stdout) : base("export", "Export a trained model to ONNX (labels, template, tokenizer and vocabulary in the model's metadata).", stdout)
    {
        precision.AcceptOnlyFromAmong("fp32", "int8", "fp16");
        Options.Add(outputDir);
        Options.Add(precision);
    }

    protected override int Execute(ParseResult parsed)
    {
        using var model = Load(parsed, Model);
        var dir = CliPaths.OutputFolder("--output-dir", parsed.GetValue(outputDir)) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(model.ZipPath))!, RunFiles.ExportFolder);
        RunSteps.Export(model, dir, RunSteps.ParsePrecision(parsed.GetValue(precision)), Stdout);
        return CliApp.Success;
    }
}

/// <summary><c>prompt-learn infer</c>: PaddleNLP's <c>infer.py</c>: scores a file through ONNX Runtime alone.</summary>
internal sealed class InferCommand : System.CommandLine.Command
{
    private readonly Option<string> modelPath = new("--model-path") { Description = "The exported ONNX file (e.g. OUTPUT/export/model.onnx), or the folder holding it (its model.onnx, or its only .onnx file).", HelpName = "FILE.onnx|DIR" };
    private readonly Option<string> modelPathPrefix = new("--model-path-prefix") { Description = "As in infer.py: the ONNX file without '.onnx' (e.g. OUTPUT/export/model).", HelpName = "PREFIX" };
    private readonly Option<string> dataDir = new("--data-dir") { Description = "Data folder in PaddleNLP layout.", Required = true, HelpName = "DIR" };
    private readonly Option<string> file = new("--file") { Description = "File inside --data-dir: one text per line (a trailing '<TAB>label' is ignored).", DefaultValueFactory = _ => "data.txt", HelpName = "NAME" };
    private readonly Option<int> batchSize = new("--batch-size") { Description = "Texts per ONNX Runtime call (sorted by length, padded per batch).", DefaultValueFactory = _ => 32, HelpName = "N" };
    private readonly Option<string> device = new("--device") { Description = "cpu, or gpu (CUDA provider; needs Microsoft.ML.OnnxRuntime.Gpu.Linux and CUDA).", DefaultValueFactory = _ => "cpu", HelpName = "cpu|gpu" };
    private readonly Option<int> threads = new("--threads") { Description = "ONNX Runtime intra-op threads (0 = one per physical core).", HelpName = "N" };
    private readonly Option<string> output = new("--output", "-o") { Description = "Where to write 'text<TAB>label' lines [default: stdout].", HelpName = "FILE" };
    private readonly Option<string> probabilities = new("--probabilities") { Description = "Also write every label's probability, one JSON object per line.", HelpName = "FILE.jsonl" };
    private readonly Option<string> profile = new("--profile") { Description = "Write ONNX Runtime's per-operator profile (Chrome-trace JSON) to a file starting with this prefix.", HelpName = "PREFIX" };
    private readonly Option<string> task = TaskOption.Create(null);
    private readonly TextWriter stdout;

    public InferCommand(TextWriter stdout) : base("infer", "Score texts with an exported ONNX model on ONNX Runtime (no TorchSharp), like PaddleNLP's infer.py.")
    {
        this.stdout = stdout;
        device.AcceptOnlyFromAmong("cpu", "gpu");
        Positive(batchSize);
        NonNegative(threads);
        foreach (var o in new Option[] { modelPath, modelPathPrefix, dataDir, file, batchSize, device, threads, output, probabilities, profile, task }) Options.Add(o);
        SetAction(Execute);
    }

    private int Execute(ParseResult parsed)
    {
        var path = parsed.GetValue(modelPath);
        var prefix = parsed.GetValue(modelPathPrefix);
        if ((path is null) == (prefix is null)) throw new UsageException("give --model-path FILE.onnx or --model-path-prefix PREFIX (one of them).");
        path = path is not null ? CliPaths.OnnxModel("--model-path", path) : CliPaths.File("--model-path-prefix", prefix + ".onnx", "ONNX model");
        var texts = FewShotDataFolder.Open(CliPaths.Folder("--data-dir", parsed.GetValue(dataDir), "data folder")).ReadUnlabeled(parsed.GetValue(file));
        using var predictor = new Onnx.OnnxPredictor(path, new Onnx.OnnxPredictorOptions
        {
            BatchSize = parsed.GetValue(batchSize), IntraOpNumThreads = parsed.GetValue(threads), UseCuda = parsed.GetValue(device) == "gpu",
            ProfileOutputPrefix = parsed.GetValue(profile),
        });
        var modelTask = predictor.IsMultiLabel ? predictor.Metadata[Onnx.OnnxModelMetadata.TaskKey] : TaskOption.MultiClass;
        if (parsed.GetValue(task) is { } requested && requested != modelTask)
            throw new UsageException($"--task {requested}: the model '{path}' was exported for --task {modelTask}.");
        var probs = predictor.PredictProbabilities(texts);
        var profilePath = parsed.GetValue(profile) is null ? null : predictor.EndProfiling();
        if (profilePath is not null && parsed.GetValue(output) is not null) stdout.WriteLine($"wrote the ONNX Runtime profile to {profilePath}");
        if (predictor.IsMultiLabel)
        {
            Predictions.WriteSets(CliPaths.OutputFile("--output", parsed.GetValue(output)), CliPaths.OutputFile("--probabilities", parsed.GetValue(probabilities)), texts, probs,
                probs.Select(predictor.PredictLabelSet).ToArray(), predictor.LabelNames, stdout);
            return CliApp.Success;
        }
        var predicted = probs.Select(p => Inference.Probabilities.ArgMax(p)).ToArray();
        Predictions.Write(CliPaths.OutputFile("--output", parsed.GetValue(output)), CliPaths.OutputFile("--probabilities", parsed.GetValue(probabilities)), texts, probs, predicted, predictor.LabelNames, stdout);
        return CliApp.Success;
    }
}

/// <summary>Writes predictions to a file or stdout, and probabilities on request.</summary>
internal static class Predictions
{
    /// <summary>Multi-label predictions: <c>text\tl1,l2</c> lines; probabilities as JSON lines with the predicted labels and every label's probability.</summary>
    public static void WriteSets(string output, string probabilitiesPath, IReadOnlyList<string> texts, float[][] probs, int[][] predicted, IReadOnlyList<string> labels, TextWriter stdout)
    {
        if (probabilitiesPath is not null)
            AtomicFile.WriteAllText(probabilitiesPath, string.Concat(texts.Select((t, i) => System.Text.Json.JsonSerializer.Serialize(new
            {
                text = t,
                labels = predicted[i].Select(c => labels[c]).ToArray(),
                probabilities = labels.Select((l, c) => (l, c)).ToDictionary(x => x.l, x => Math.Round(probs[i][x.c], 6)),
            }, RunFiles.JsonLine) + "\n")));
        var lines = MultiLabelSplitEvaluation.PredictionLines(texts, predicted, labels);
        if (output is null)
        {
            foreach (var line in lines) stdout.WriteLine(line);
            return;
        }
        AtomicFile.WriteAllText(output, string.Concat(lines.Select(l => l + "\n")));
        stdout.WriteLine($"wrote {texts.Count} predictions to {output}{(probabilitiesPath is null ? "" : $" and probabilities to {probabilitiesPath}")}");
    }

    public static void Write(string output, string probabilitiesPath, IReadOnlyList<string> texts, float[][] probs, int[] predicted, IReadOnlyList<string> labels, TextWriter stdout)
    {
        if (probabilitiesPath is not null) RunSteps.WriteProbabilities(probabilitiesPath, texts, probs, predicted, labels);
        if (output is null)
        {
            foreach (var line in SplitEvaluation.PredictionLines(texts, predicted, labels)) stdout.WriteLine(line);
            return;
        }
        RunSteps.WritePredictions(output, texts, predicted, labels);
        stdout.WriteLine($"wrote {texts.Count} predictions to {output}{(probabilitiesPath is null ? "" : $" and probabilities to {probabilitiesPath}")}");
    }
}
