namespace Microsoft.ML.PromptLearning.Training;

/// <summary>
/// <c>checkpoint-N</c> folders inside an output folder. A checkpoint is written into <c>checkpoint-N.partial</c> and renamed
/// only when every file is in place, with its state file written last, so a process killed mid-write leaves either the
/// previous checkpoints or a <c>.partial</c> folder that is never picked up (and is replaced by the next write).
/// </summary>
internal static class CheckpointFolders
{
    public const string Prefix = "checkpoint-";
    public const string PartialSuffix = ".partial";

    /// <summary>The step of a <c>checkpoint-N</c> folder, or -1 for any other name.</summary>
    public static long StepOf(string dir)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir));
        return name.StartsWith(Prefix, StringComparison.Ordinal) && long.TryParse(name[Prefix.Length..], out var step) ? step : -1;
    }

    /// <summary>Complete checkpoints (folders named <c>checkpoint-N</c> that contain <paramref name="stateFile"/>), newest first.</summary>
    public static IEnumerable<string> Complete(string outputDir, string stateFile) =>
        !Directory.Exists(outputDir) ? Enumerable.Empty<string>() :
        Directory.EnumerateDirectories(outputDir, Prefix + "*")
            .Where(d => StepOf(d) >= 0 && File.Exists(Path.Combine(d, stateFile)))
            .OrderByDescending(StepOf);

    /// <summary>The newest complete checkpoint, or null.</summary>
    public static string Latest(string outputDir, string stateFile) => Complete(outputDir, stateFile).FirstOrDefault();

    /// <summary>
    /// Writes <c>checkpoint-<paramref name="step"/></c>: <paramref name="writeFiles"/> fills the partial folder, then
    /// <paramref name="stateFile"/> gets <paramref name="stateJson"/>, then the folder is renamed into place. Afterwards only the
    /// newest <paramref name="keep"/> complete checkpoints remain (plus <paramref name="protect"/>, e.g. the best one).
    /// </summary>
    public static string Write(string outputDir, long step, string stateFile, Action<string> writeFiles, Func<string> stateJson, int keep, string protect = null)
    {
        Directory.CreateDirectory(outputDir);
        var final = Path.Combine(outputDir, Prefix + step);
        var partial = final + PartialSuffix;
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        writeFiles(partial);
        File.WriteAllText(Path.Combine(partial, stateFile), stateJson());
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(partial, final);
        if (keep > 0)
        {
            var protectedFull = protect is null ? null : Path.GetFullPath(protect);
            foreach (var old in Complete(outputDir, stateFile).Where(d => d != final).Skip(Math.Max(0, keep - 1)))
                if (!string.Equals(Path.GetFullPath(old), protectedFull, StringComparison.Ordinal)) Directory.Delete(old, recursive: true);
        }
        return final;
    }
}
