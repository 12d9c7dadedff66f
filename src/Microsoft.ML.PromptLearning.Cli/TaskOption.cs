using System.CommandLine;
using Microsoft.ML.PromptLearning.Cli.Workflow;

namespace Microsoft.ML.PromptLearning.Cli;

/// <summary>
/// <c>--task multi-class|multi-label|hierarchical</c>: PaddleNLP's three text-classification apps. Multi-label and
/// hierarchical data list any number of labels per line (<c>text\tl1,l2</c>); hierarchical labels are <c>A##B</c> paths.
/// </summary>
internal static class TaskOption
{
    public const string MultiClass = "multi-class";
    public const string MultiLabel = "multi-label";
    public const string Hierarchical = "hierarchical";

    /// <summary>The option; <paramref name="defaultValue"/> null = the task the model was trained for.</summary>
    public static Option<string> Create(string defaultValue)
    {
        var option = new Option<string>("--task")
        {
            Description = defaultValue is null
                ? "multi-class, multi-label or hierarchical [default: the task the model was trained for]; a task other than the model's is an error."
                : "multi-class (one label per text), multi-label (any set of labels: 'text<TAB>l1,l2', an empty field = none) or hierarchical (multi-label over 'A##B' label paths; a predicted child implies its parent).",
            HelpName = "multi-class|multi-label|hierarchical",
        };
        if (defaultValue is not null) option.DefaultValueFactory = _ => defaultValue;
        option.AcceptOnlyFromAmong(MultiClass, MultiLabel, Hierarchical);
        return option;
    }

    /// <summary>The task of a trained model.</summary>
    public static string Of(TrainedModel model) =>
        !model.Classifier.Settings.MultiLabel ? MultiClass : model.Classifier.Settings.Hierarchical ? Hierarchical : MultiLabel;

    /// <summary>Fails when <paramref name="requested"/> (null = any) is not the model's task.</summary>
    public static void Check(TrainedModel model, string requested)
    {
        var actual = Of(model);
        if (requested is not null && requested != actual)
            throw new UsageException($"--task {requested}: the model at '{model.ZipPath}' was trained for --task {actual}.");
    }
}
