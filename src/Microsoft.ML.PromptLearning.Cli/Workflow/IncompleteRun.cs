using Microsoft.ML.PromptLearning.Training;

namespace Microsoft.ML.PromptLearning.Cli.Workflow;

/// <summary>
/// What a failed <c>train</c> run leaves in its output folder, said in one line. Nothing there is ever half-written (the model
/// zip, checkpoints, exports and reports are each replaced atomically); what can be missing is the model zip itself.
/// </summary>
internal static class IncompleteRun
{
    /// <summary>Says that <paramref name="output"/> is incomplete, unless this run (started at <paramref name="startedUtc"/>) wrote its model zip.</summary>
    public static void Report(string output, DateTime startedUtc, TextWriter stdout)
    {
        if (!Directory.Exists(output)) return;
        var zip = Path.Combine(output, RunFiles.ModelZip);
        bool fromThisRun = File.Exists(zip) && File.GetLastWriteTimeUtc(zip) >= startedUtc;
        if (fromThisRun) return;   // the model is complete; a later step (evaluation, export) failed
        var latest = CheckpointFolders.Latest(output, ClassifierTrainingLoop.StateFile);
        var next = Directory.Exists(Path.Combine(output, RunFiles.SelfTrainingFolder))
            ? $"the models finished so far are in {RunFiles.SelfTrainingFolder}/ and are reused when the same command runs again."
            : latest is null
                ? "it holds no checkpoint: fix the cause and run again with --overwrite-output-dir."
                : $"the last complete checkpoint is {latest}: fix the cause and add --resume-from-checkpoint latest to continue.";
        stdout.WriteLine($"the run failed before writing {RunFiles.ModelZip}, so '{output}' is incomplete" +
                         (File.Exists(zip) ? $" (its {RunFiles.ModelZip} is from an earlier run)" : "") + $"; {next}");
    }
}
