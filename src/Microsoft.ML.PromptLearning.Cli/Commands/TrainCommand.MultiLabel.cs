using System.CommandLine;
using Microsoft.ML.PromptLearning.Cli.Workflow;
using Microsoft.ML.PromptLearning.Data;

namespace Microsoft.ML.PromptLearning.Cli.Commands;

internal sealed partial class TrainCommand
{
    /// <summary>
    /// <c>--task multi-label|hierarchical</c>: PaddleNLP's multi-label and hierarchical few-shot apps. One prompt model with the
    /// soft verbalizer, trained with BCEWithLogits; eval/test report micro/macro F1, per-label and per-level figures.
    /// </summary>
    private int ExecuteMultiLabel(ParseResult parsed, FewShotDataFolder folder, string taskName, string output, bool train, bool eval, bool predict, bool export)
    {
        if (parsed.GetValue(recipe) != "prompt")
            throw new UsageException($"--recipe {parsed.GetValue(recipe)} is for --task multi-class; --task {taskName} trains one prompt model (--recipe prompt).");
        if (parsed.GetValue(verbalizer) != "soft")
            throw new UsageException($"--task {taskName} scores every label on its own with the soft verbalizer; drop --verbalizer {parsed.GetValue(verbalizer)}.");
        bool hierarchical = taskName == TaskOption.Hierarchical;
        if (hierarchical) folder.Hierarchy();   // a label.txt without a path's parent fails here, with file:line
        List<MultiLabeledText> Read(string name) => hierarchical ? folder.ReadHierarchical(name) : folder.ReadMultiLabeled(name);
        var trainRows = train ? Read(parsed.GetValue(trainFile)) : null;
        var devName = parsed.GetValue(devFile);
        var devRows = (train || eval) && folder.Has(devName) ? Read(devName) : null;
        if (eval && devRows is null) throw new UsageException($"--do-eval: '{folder.Path}' has no {devName}.");
        if (parsed.GetValue(tuneThresholds) && train && devRows is null) throw new UsageException($"--tune-thresholds: '{folder.Path}' has no {devName} to tune on.");
        var testName = parsed.GetValue(testFile);
        var testRows = predict ? Read(testName) : null;

        return Run(parsed, output, taskName, train, eval, predict, export,
            (ml, cancellation) => TrainMultiLabel(parsed, ml, folder, hierarchical, trainRows, devRows, output, cancellation),
            trained => RunSteps.EvaluateMultiLabel(trained, devName, devRows, "eval", output, stdout),
            (trained, predictions) =>
            {
                var test = RunSteps.EvaluateMultiLabel(trained, testName, testRows, "test", output, stdout);
                AtomicFile.WriteAllText(predictions, string.Concat(MultiLabelSplitEvaluation.PredictionLines(test.Rows.Select(r => r.Text).ToList(), test.Predicted, trained.Labels).Select(l => l + "\n")));
            });
    }

    private TrainedModel TrainMultiLabel(ParseResult parsed, MLContext ml, FewShotDataFolder folder, bool hierarchical, List<MultiLabeledText> trainRows,
        List<MultiLabeledText> devRows, string output, CancellationToken cancellation)
    {
        var keyMap = folder.CreateLabelSetKeyMap(ml);
        var options = FillPromptOptions(new PromptErnieTrainer.Options(), parsed, ml, folder, keyMap, devRows: null, cancellation);
        if (hierarchical) options.LabelWords = folder.NodeLabelWords().ToDictionary(kv => kv.Key, kv => kv.Value);
        options.ValidationSet = devRows is null ? null : keyMap.Transform(ml.Data.LoadFromEnumerable(devRows));
        var multiLabel = new MultiLabelOptions { TuneThresholds = parsed.GetValue(tuneThresholds), Hierarchical = hierarchical };
        return TrainPromptModel(parsed, ml, output, keyMap, options, trainRows,
            $"{trainRows.Count} texts ({folder.Labels.Count} labels, {trainRows.Sum(r => r.Labels.Length) / (double)trainRows.Count:F2} per text){Validating(devRows)}", "macro-F1",
            train => ml.MultiLabelClassification().Trainers.PromptErnie(options, multiLabel).Fit(train),
            transformer => new Dictionary<string, object>
            {
                ["task"] = hierarchical ? TaskOption.Hierarchical : TaskOption.MultiLabel,
                ["thresholds"] = transformer.LabelNames.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => transformer.Settings.Thresholds[x.i]),
            });
    }
}
