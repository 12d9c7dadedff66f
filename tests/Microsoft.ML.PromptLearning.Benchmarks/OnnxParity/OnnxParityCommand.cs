using System.CommandLine;
using System.Text.Json;

namespace Microsoft.ML.PromptLearning.Benchmarks.OnnxParity;

/// <summary>
/// <c>onnx-parity</c>: trains the prompt methods (soft, manual and per-character verbalizers, an LSTM-encoded soft template)
/// and the fine-tune baseline briefly on a FewCLUE split with the bundled model, then scores the test texts with
/// TorchSharp and with ONNX Runtime on the fp32 and int8 exports: max |Δp| and argmax agreement against TorchSharp, and
/// accuracy of all three. Exits with 1 when an fp32 export differs from TorchSharp by more than the tolerance (or fails
/// <c>onnx.checker</c>).
/// </summary>
internal sealed class OnnxParityCommand : System.CommandLine.Command
{
    private readonly Option<string> model = new("--model") { Description = "Pretrained model folder; default: the bundled ChineseMini model of this repository." };
    private readonly Option<string> dataDir = new("--data-dir") { Description = "PaddleNLP data folder (label.txt with label==word lines, training and test files); default: ../shared/data/fewclue/tnews." };
    private readonly Option<string> trainFile = new("--train-file") { Description = "Training split in the data folder.", DefaultValueFactory = _ => "train_0.txt" };
    private readonly Option<string> testFile = new("--test-file") { Description = "Test split in the data folder.", DefaultValueFactory = _ => "test.txt" };
    private readonly Option<int> maxSteps = new("--max-steps") { Description = "Training steps per method.", DefaultValueFactory = _ => 60 };
    private readonly Option<int> limit = new("--limit") { Description = "Score at most this many test texts, evenly spaced through the file (0 = all).", DefaultValueFactory = _ => 0 };
    private readonly Option<int> threads = new("--threads") { Description = "TorchSharp threads and ONNX Runtime intra-op threads.", DefaultValueFactory = _ => 2 };
    private readonly Option<string> methods = new("--methods") { Description = "Comma-separated methods.", DefaultValueFactory = _ => string.Join(",", OnnxParitySettings.AllMethods) };
    private readonly Option<string> prompt = new("--prompt") { Description = "Hard prompt of the prompt methods (also the soft template's initial text).", DefaultValueFactory = _ => "这条新闻标题的主题是" };
    private readonly Option<double> tolerance = new("--tolerance") { Description = "Largest accepted fp32 max |Δp| against TorchSharp.", DefaultValueFactory = _ => 1e-4 };
    private readonly Option<int> seed = new("--seed") { Description = "Training seed.", DefaultValueFactory = _ => 42 };
    private readonly Option<string> outputDir = new("--output-dir") { Description = "Keep the .onnx exports here (default: a temporary folder, deleted afterwards)." };
    private readonly Option<string> python = new("--python") { Description = "Python with the onnx package for onnx.checker on the exports; empty = skip.", DefaultValueFactory = _ => "/usr/bin/python3" };
    private readonly Option<string> json = new("--json") { Description = "Also write the results as JSON to this file." };

    public OnnxParityCommand() : base("onnx-parity", "TorchSharp vs ONNX Runtime fp32 / int8 probabilities and accuracy of briefly trained prompt and fine-tune models (bundled model, FewCLUE TNEWS).")
    {
        foreach (var o in new Option[] { model, dataDir, trainFile, testFile, maxSteps, limit, threads, methods, prompt, tolerance, seed, outputDir, python, json }) Options.Add(o);
        SetAction(Execute);
    }

    private int Execute(ParseResult parsed)
    {
        var keep = parsed.GetValue(outputDir);
        var dir = keep ?? Path.Combine(Path.GetTempPath(), $"onnx-parity-{Environment.ProcessId}");
        var settings = new OnnxParitySettings
        {
            ModelPath = Path.GetFullPath(parsed.GetValue(model) ?? RepoPaths.BundledModel),
            DataDir = Path.GetFullPath(parsed.GetValue(dataDir) ?? Path.Combine(RepoPaths.Root, "..", "shared", "data", "fewclue", "tnews")),
            TrainFile = parsed.GetValue(trainFile), TestFile = parsed.GetValue(testFile), MaxSteps = parsed.GetValue(maxSteps), Limit = parsed.GetValue(limit),
            Threads = parsed.GetValue(threads), Prompt = parsed.GetValue(prompt), Seed = parsed.GetValue(seed), OutputDir = dir,
            Methods = parsed.GetValue(methods).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
        if (!Directory.Exists(settings.DataDir)) { Console.Error.WriteLine($"Data folder '{settings.DataDir}' does not exist (give --data-dir)."); return 2; }
        try
        {
            var log = Console.Error;
            log.WriteLine($"model {settings.ModelPath}; data {settings.DataDir} ({settings.TrainFile} → {settings.TestFile}); {settings.MaxSteps} steps; {settings.Threads} threads");
            var results = OnnxParityBench.Run(settings, log);
            double tol = parsed.GetValue(tolerance);
            bool passed = results.All(r => r.Fp32.MaxAbsDiff <= tol);

            string checker = "skipped (--python is empty, or that Python cannot import onnx)";
            var check = OnnxParityBench.CheckWithPython(parsed.GetValue(python), results.SelectMany(r => new[] { r.Fp32Path, r.Int8Path }).ToList());
            if (check is { } c)
            {
                checker = c.Passed ? $"passed ({results.Count * 2} models)" : "FAILED: " + c.Output;
                passed &= c.Passed;
            }
            log.WriteLine($"onnx.checker: {checker}");

            Console.WriteLine(OnnxParityBench.Markdown(results));
            Console.WriteLine($"fp32 tolerance {tol:E0}: {(passed ? "passed" : "FAILED")}; onnx.checker {checker}");
            if (parsed.GetValue(json) is { } jsonPath)
                File.WriteAllText(jsonPath, OnnxParityBench.Json(settings, results, tol, passed, checker).ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            return passed ? 0 : 1;
        }
        finally
        {
            if (keep is null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
