using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.Data;
using Microsoft.ML.PromptLearning.Onnx;
using Microsoft.ML.PromptLearning.Training;

namespace Microsoft.ML.PromptLearning.Benchmarks.OnnxParity;

/// <summary>What <see cref="OnnxParityBench"/> trains and scores.</summary>
internal sealed class OnnxParitySettings
{
    /// <summary>Every method, in table order.</summary>
    public static readonly string[] AllMethods = ["prompt-soft", "prompt-manual", "prompt-per-char", "prompt-soft-template", "finetune"];

    /// <summary>Pretrained model folder.</summary>
    public string ModelPath { get; init; }
    /// <summary>A data folder in PaddleNLP layout (label.txt with <c>label==word</c> lines, training and test files).</summary>
    public string DataDir { get; init; }
    public string TrainFile { get; init; } = "train_0.txt";
    public string TestFile { get; init; } = "test.txt";
    /// <summary>Hard prompt of the prompt methods; the soft-template method initialises its LSTM-encoded soft vectors from it.</summary>
    public string Prompt { get; init; } = "这条新闻标题的主题是";
    public IReadOnlyList<string> Methods { get; init; } = AllMethods;
    public int MaxSteps { get; init; } = 60;
    /// <summary>Score at most this many test texts, evenly spaced through the test file (0 = all).</summary>
    public int Limit { get; init; }
    /// <summary>TorchSharp threads and ONNX Runtime intra-op threads.</summary>
    public int Threads { get; init; } = 2;
    public int BatchSize { get; init; } = 8;
    /// <summary>Longest input in tokens (the bundled model has 128 positions).</summary>
    public int MaxSequenceLength { get; init; } = 128;
    public int EvalBatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 1e-4;
    public double HeadLearningRate { get; init; } = 1e-3;
    public int Seed { get; init; } = 42;
    /// <summary>Where the .onnx files are written.</summary>
    public string OutputDir { get; init; }

    /// <summary>The template of the soft-template method: a soft vector before the text, LSTM-encoded soft vectors initialised from the prompt after it, two masks.</summary>
    public string SoftTemplate => $"{{'soft'}}{{'text':'text_a'}}{{'soft':'{Prompt}','encoder':'lstm'}}{{'mask'}}{{'mask'}}";
}

/// <summary>One engine's scores of the test texts against the gold labels and against TorchSharp.</summary>
internal sealed record EngineScores(double Accuracy, double MaxAbsDiff, double ArgmaxAgreement, long ModelBytes);

/// <summary>One trained model scored by TorchSharp, ONNX Runtime fp32 and ONNX Runtime int8.</summary>
internal sealed record ParityResult(string Method, string Template, long Steps, double TrainSeconds, int Texts, double TorchAccuracy,
    EngineScores Fp32, EngineScores Int8, string Fp32Path, string Int8Path);

/// <summary>
/// Trains each method briefly on a few-shot split, then scores the test texts with the fitted transformer (TorchSharp, the
/// batched <c>Transform</c>) and with <see cref="OnnxPredictor"/> on its fp32 and int8 ONNX exports (which tokenize from the
/// model's own metadata), and compares probabilities, predicted classes and accuracy.
/// </summary>
internal static class OnnxParityBench
{
    public static List<ParityResult> Run(OnnxParitySettings s, TextWriter log)
    {
        foreach (var m in s.Methods)
            if (!OnnxParitySettings.AllMethods.Contains(m)) throw new ArgumentException($"Unknown method '{m}' ({string.Join(", ", OnnxParitySettings.AllMethods)}).");
        TorchSharp.torch.set_num_threads(s.Threads);
        var folder = FewShotDataFolder.Open(s.DataDir);
        var ml = new MLContext(seed: s.Seed);
        var keyMap = folder.CreateLabelKeyMap(ml);
        var train = keyMap.Transform(ml.Data.LoadFromEnumerable(folder.ReadLabeled(s.TrainFile)));
        var testRows = folder.ReadLabeled(s.TestFile);
        // The test file is grouped by label: a subset takes evenly spaced rows so that it still covers every class.
        if (s.Limit > 0 && s.Limit < testRows.Count)
        {
            var all = testRows;
            testRows = Enumerable.Range(0, s.Limit).Select(i => all[(int)((long)i * all.Count / s.Limit)]).ToList();
        }
        var test = keyMap.Transform(ml.Data.LoadFromEnumerable(testRows));
        var texts = testRows.Select(r => r.Text).ToList();
        var gold = testRows.Select(r => IndexOf(folder.Labels, r.Label)).ToArray();
        Directory.CreateDirectory(s.OutputDir);

        var results = new List<ParityResult>();
        foreach (var method in s.Methods)
        {
            using var model = (ErnieClassifierTransformerBase)Estimator(ml, method, s, folder).Fit(train);
            string template = model is PromptErnieTransformer p ? p.Template.ToString() : $"[CLS] text [SEP] → {((ErnieTextClassificationTransformer)model).Pooling.ToString().ToLowerInvariant()} pooling → classifier";
            log.WriteLine($"{method}: {model.TrainingReport.Steps} steps in {model.TrainingReport.TrainSeconds:F1} s; template {template}");

            var torch = model.Transform(test).GetColumn<float[]>("Score").ToArray();
            var fp32Path = Path.Combine(s.OutputDir, $"{method}.fp32.onnx");
            var int8Path = Path.Combine(s.OutputDir, $"{method}.int8.onnx");
            model.ExportToOnnx(fp32Path, new OnnxExportOptions { Precision = OnnxPrecision.Float32 });
            model.ExportToOnnx(int8Path, new OnnxExportOptions { Precision = OnnxPrecision.Int8 });
            var fp32 = Score(fp32Path, texts, torch, gold, folder.Labels, s);
            var int8 = Score(int8Path, texts, torch, gold, folder.Labels, s);
            double torchAccuracy = Accuracy(torch, gold);
            log.WriteLine($"{method}: accuracy TorchSharp {torchAccuracy:P2}, ONNX fp32 {fp32.Accuracy:P2} (max |Δp| {fp32.MaxAbsDiff:0.00E+00}, same class {fp32.ArgmaxAgreement:P2}), " +
                          $"ONNX int8 {int8.Accuracy:P2} (max |Δp| {int8.MaxAbsDiff:0.00E+00}, same class {int8.ArgmaxAgreement:P2})");
            results.Add(new ParityResult(method, template, model.TrainingReport.Steps, model.TrainingReport.TrainSeconds, texts.Count, torchAccuracy, fp32, int8, fp32Path, int8Path));
        }
        return results;
    }

    private static IEstimator<ITransformer> Estimator(MLContext ml, string method, OnnxParitySettings s, FewShotDataFolder folder)
    {
        var words = folder.LabelWords.ToDictionary(kv => kv.Key, kv => kv.Value);
        PromptErnieTrainer.Options Prompt(PromptVerbalizerKind verbalizer, string prompt) => new()
        {
            ModelPath = s.ModelPath, Prompt = prompt, LabelWords = words, Verbalizer = verbalizer, MaxSteps = s.MaxSteps, BatchSize = s.BatchSize,
            EvalBatchSize = s.EvalBatchSize, MaxSequenceLength = s.MaxSequenceLength, LearningRate = s.LearningRate, PromptLearningRate = s.HeadLearningRate, Seed = s.Seed, LoggingSteps = 0,
            NumberOfThreads = s.Threads,
        };
        return method switch
        {
            "prompt-soft" => ml.MulticlassClassification.Trainers.PromptErnie(Prompt(PromptVerbalizerKind.Soft, s.Prompt)),
            "prompt-manual" => ml.MulticlassClassification.Trainers.PromptErnie(Prompt(PromptVerbalizerKind.Manual, s.Prompt)),
            "prompt-per-char" => ml.MulticlassClassification.Trainers.PromptErnie(Prompt(PromptVerbalizerKind.MaskedLM, s.Prompt)),
            "prompt-soft-template" => ml.MulticlassClassification.Trainers.PromptErnie(Prompt(PromptVerbalizerKind.Soft, s.SoftTemplate)),
            "finetune" => ml.MulticlassClassification.Trainers.ErnieTextClassification(new ErnieTextClassificationTrainer.Options
            {
                ModelPath = s.ModelPath, MaxSteps = s.MaxSteps, BatchSize = s.BatchSize, EvalBatchSize = s.EvalBatchSize, MaxSequenceLength = s.MaxSequenceLength, LearningRate = s.LearningRate,
                ClassifierLearningRate = s.HeadLearningRate, Seed = s.Seed, LoggingSteps = 0, NumberOfThreads = s.Threads,
            }),
            _ => throw new ArgumentException($"Unknown method '{method}'."),
        };
    }

    private static EngineScores Score(string path, IReadOnlyList<string> texts, float[][] torch, int[] gold, IReadOnlyList<string> labels, OnnxParitySettings s)
    {
        using var predictor = new OnnxPredictor(path, new OnnxPredictorOptions { BatchSize = s.EvalBatchSize, IntraOpNumThreads = s.Threads });
        if (!predictor.LabelNames.SequenceEqual(labels))
            throw new InvalidDataException($"{path}: label order {string.Join(",", predictor.LabelNames)} differs from label.txt {string.Join(",", labels)}.");
        var onnx = predictor.PredictProbabilities(texts);
        double max = 0;
        int same = 0;
        for (int i = 0; i < onnx.Length; i++)
        {
            if (onnx[i].Length != torch[i].Length) throw new InvalidDataException($"{path}: {onnx[i].Length} probabilities per text; TorchSharp gave {torch[i].Length}.");
            for (int c = 0; c < onnx[i].Length; c++) max = Math.Max(max, Math.Abs(onnx[i][c] - torch[i][c]));
            if (global::Microsoft.ML.PromptLearning.Inference.Probabilities.ArgMax(onnx[i]) == global::Microsoft.ML.PromptLearning.Inference.Probabilities.ArgMax(torch[i])) same++;
        }
        return new EngineScores(Accuracy(onnx, gold), max, (double)same / onnx.Length, new FileInfo(path).Length);
    }

    private static double Accuracy(float[][] probabilities, int[] gold) =>
        (double)probabilities.Where((p, i) => global::Microsoft.ML.PromptLearning.Inference.Probabilities.ArgMax(p) == gold[i]).Count() / probabilities.Length;

    private static int IndexOf(IReadOnlyList<string> labels, string label)
    {
        for (int i = 0; i < labels.Count; i++) if (labels[i] == label) return i;
        throw new InvalidDataException($"Label '{label}' is not in label.txt.");
    }

    /// <summary>Runs <c>onnx.checker.check_model(full_check=True)</c> on every file with one Python process; null when Python or its onnx package is missing.</summary>
    public static (bool Passed, string Output)? CheckWithPython(string python, IReadOnlyList<string> files)
    {
        if (string.IsNullOrEmpty(python) || !File.Exists(python) || files.Count == 0) return null;
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(
            "import sys\ntry:\n    import onnx\nexcept ImportError:\n    sys.exit(3)\n" +
            "for p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\n    print('ok', p)\n");
        foreach (var f in files) psi.ArgumentList.Add(f);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5))) { process.Kill(true); return (false, "onnx.checker did not finish in 5 minutes"); }
        if (process.ExitCode == 3) return null;
        return (process.ExitCode == 0, (stdout.Result + stderr.Result).Trim());
    }

    public static string Markdown(IReadOnlyList<ParityResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| method | template | steps | texts | TorchSharp acc. | ONNX fp32 acc. | fp32 max abs Δp | fp32 same class | ONNX int8 acc. | int8 max abs Δp | int8 same class |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Method} | `{r.Template}` | {r.Steps} | {r.Texts} | {r.TorchAccuracy:P2} | {r.Fp32.Accuracy:P2} | {r.Fp32.MaxAbsDiff:0.00E+00} | {r.Fp32.ArgmaxAgreement:P2} | " +
                $"{r.Int8.Accuracy:P2} | {r.Int8.MaxAbsDiff:0.00E+00} | {r.Int8.ArgmaxAgreement:P2} |"));
        return sb.ToString();
    }

    public static JsonObject Json(OnnxParitySettings s, IReadOnlyList<ParityResult> results, double tolerance, bool passed, string checker)
    {
        static JsonObject Engine(EngineScores e) => new()
        {
            ["accuracy"] = e.Accuracy, ["max_abs_diff_vs_torch"] = e.MaxAbsDiff, ["argmax_agreement"] = e.ArgmaxAgreement, ["model_bytes"] = e.ModelBytes,
        };
        return new JsonObject
        {
            ["model"] = s.ModelPath, ["data_dir"] = s.DataDir, ["train_file"] = s.TrainFile, ["test_file"] = s.TestFile, ["prompt"] = s.Prompt,
            ["max_steps"] = s.MaxSteps, ["max_sequence_length"] = s.MaxSequenceLength, ["threads"] = s.Threads, ["seed"] = s.Seed, ["fp32_tolerance"] = tolerance, ["passed"] = passed, ["onnx_checker"] = checker,
            ["processors"] = Environment.ProcessorCount,
            ["methods"] = new JsonArray(results.Select(r => (JsonNode)new JsonObject
            {
                ["method"] = r.Method, ["template"] = r.Template, ["steps"] = r.Steps, ["train_seconds"] = Math.Round(r.TrainSeconds, 1), ["texts"] = r.Texts,
                ["torch_accuracy"] = r.TorchAccuracy, ["onnx_fp32"] = Engine(r.Fp32), ["onnx_int8"] = Engine(r.Int8),
            }).ToArray()),
        };
    }
}
