using Microsoft.ML.PromptLearning.Data;
using Microsoft.ML.PromptLearning.Onnx;

namespace Microsoft.ML.PromptLearning.Cli.Workflow;

/// <summary>The evaluate / predict / export steps shared by <c>train --do-eval/--do-predict/--do-export</c> and the stand-alone commands.</summary>
internal static class RunSteps
{
    /// <summary>Scores a labelled split; writes <c>{prefix}_results.json</c> and the confusion-matrix picture into <paramref name="outputDir"/>.</summary>
    public static SplitEvaluation Evaluate(TrainedModel model, string split, IReadOnlyList<LabeledText> rows, string prefix, string outputDir, TextWriter stdout)
    {
        var evaluation = SplitEvaluation.Run(model, split, rows);
        evaluation.WriteTable(stdout);
        if (outputDir is null) return evaluation;
        Directory.CreateDirectory(outputDir);
        var results = Path.Combine(outputDir, prefix == "eval" ? RunFiles.EvalResults : RunFiles.TestResults);
        RunFiles.WriteJson(results, evaluation.ToJson(prefix));
        var picture = Path.Combine(outputDir, prefix == "eval" ? RunFiles.EvalConfusion : RunFiles.TestConfusion);
        Plots.ConfusionMatrix(picture, $"{split}: accuracy {evaluation.Report.Accuracy:P2}", evaluation.Report.ConfusionCounts, evaluation.Labels);
        stdout.WriteLine($"wrote {results} and {picture}");
        return evaluation;
    }

    /// <summary>
    /// Scores a labelled multi-label or hierarchical split; writes <c>{prefix}_results.json</c> and the per-label F1 chart
    /// (<c>{prefix}_per_label_f1.png</c>) into <paramref name="outputDir"/>.
    /// </summary>
    public static MultiLabelSplitEvaluation EvaluateMultiLabel(TrainedModel model, string split, IReadOnlyList<MultiLabeledText> rows, string prefix, string outputDir, TextWriter stdout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var predicted = model.PredictLabelSets(rows.Select(r => r.Text).ToList()).LabelSets;
        var evaluation = MultiLabelSplitEvaluation.From(split, rows, predicted, model.Labels, model.Hierarchy, clock.Elapsed.TotalSeconds);
        evaluation.WriteTable(stdout);
        if (outputDir is null) return evaluation;
        Directory.CreateDirectory(outputDir);
        var results = Path.Combine(outputDir, prefix == "eval" ? RunFiles.EvalResults : RunFiles.TestResults);
        RunFiles.WriteJson(results, evaluation.ToJson(prefix));
        var picture = Path.Combine(outputDir, $"{prefix}_per_label_f1.png");
        Plots.PerLabelF1(picture, $"{split}: micro-F1 {evaluation.Metrics.MicroF1:P2}, macro-F1 {evaluation.Metrics.MacroF1:P2}",
            evaluation.Metrics.PerLabel.Select(s => (s.Label, s.F1, s.Support)).ToList());
        stdout.WriteLine($"wrote {results} and {picture}");
        return evaluation;
    }

    /// <summary>Writes <c>text\tlabel</c> lines, one per text in input order.</summary>
    public static void WritePredictions(string path, IReadOnlyList<string> texts, int[] predicted, IReadOnlyList<string> labels) =>
        AtomicFile.WriteAllText(path, string.Concat(SplitEvaluation.PredictionLines(texts, predicted, labels).Select(l => l + "\n")));

    /// <summary>Writes one JSON object per text: the text, its label and every label's probability.</summary>
    public static void WriteProbabilities(string path, IReadOnlyList<string> texts, float[][] probabilities, int[] predicted, IReadOnlyList<string> labels)
    {
        var lines = texts.Select((t, i) => System.Text.Json.JsonSerializer.Serialize(new
        {
            text = t,
            label = labels[predicted[i]],
            probabilities = labels.Select((l, c) => (l, c)).ToDictionary(x => x.l, x => Math.Round(probabilities[i][x.c], 6)),
        }, RunFiles.JsonLine));
        AtomicFile.WriteAllText(path, string.Concat(lines.Select(l => l + "\n")));
    }

    /// <summary>Exports the classifier to <c>{exportDir}/model.onnx</c> (or <c>model.int8.onnx</c> / <c>model.fp16.onnx</c>).</summary>
    public static string Export(TrainedModel model, string exportDir, OnnxPrecision precision, TextWriter stdout)
    {
        Directory.CreateDirectory(exportDir);
        var name = precision switch { OnnxPrecision.Int8 => "model.int8.onnx", OnnxPrecision.Float16 => "model.fp16.onnx", _ => RunFiles.OnnxModel };
        var path = Path.Combine(exportDir, name);
        if (model.Classifier is ErnieEnsembleTransformer ensemble)
        {
            OnnxEnsemble.Export(ensemble, exportDir, new OnnxExportOptions { Precision = precision });
            stdout.WriteLine($"exported {ensemble.Members.Count} member graphs and {OnnxEnsemble.ManifestFile} (the weights) into {exportDir} ({precision}); score them with OnnxEnsemble");
            return Path.Combine(exportDir, OnnxEnsemble.ManifestFile);
        }
        ((ErnieClassifierTransformerBase)model.Classifier).ExportToOnnx(path, new OnnxExportOptions { Precision = precision });
        stdout.WriteLine($"exported {path} ({new FileInfo(path).Length / 1e6:F1} MB, {precision})");
        return path;
    }

    public static OnnxPrecision ParsePrecision(string value) => value switch
    {
        "int8" => OnnxPrecision.Int8,
        "fp16" => OnnxPrecision.Float16,
        _ => OnnxPrecision.Float32,
    };
}
