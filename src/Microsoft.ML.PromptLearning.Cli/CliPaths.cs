namespace Microsoft.ML.PromptLearning.Cli;

/// <summary>
/// Checks of path options. Every failure is a usage error that says which of three things is wrong: the path does not
/// exist, it is a folder where a file is expected, or a file where a folder is expected.
/// </summary>
internal static class CliPaths
{
    /// <summary>Requires an existing file.</summary>
    public static string File(string option, string path, string what = "file")
    {
        if (System.IO.File.Exists(path)) return path;
        if (Directory.Exists(path)) throw new UsageException($"{option}: '{path}' is a folder; give the {what} itself.");
        throw new UsageException($"{option}: {what} '{path}' does not exist.");
    }

    /// <summary>Requires an existing folder.</summary>
    public static string Folder(string option, string path, string what = "folder")
    {
        if (Directory.Exists(path)) return path;
        if (System.IO.File.Exists(path)) throw new UsageException($"{option}: '{path}' is a file; give the {what} that holds it.");
        throw new UsageException($"{option}: {what} '{path}' does not exist.");
    }

    /// <summary>A folder to write into: absent (it is created) or a folder, not a file. Null passes (the option was not given).</summary>
    public static string OutputFolder(string option, string path)
    {
        if (path is not null && System.IO.File.Exists(path)) throw new UsageException($"{option}: '{path}' is a file; give a folder to write into.");
        return path;
    }

    /// <summary>A file to write: absent or a file, not a folder. Null passes (the option was not given).</summary>
    public static string OutputFile(string option, string path)
    {
        if (path is not null && Directory.Exists(path)) throw new UsageException($"{option}: '{path}' is a folder; give a file name to write.");
        return path;
    }

    /// <summary>
    /// An ONNX model: the file itself, or a folder (such as a train run's <c>export/</c>) holding <c>model.onnx</c> or exactly
    /// one <c>.onnx</c> file. A folder with several and no <c>model.onnx</c> is refused with their names.
    /// </summary>
    public static string OnnxModel(string option, string path)
    {
        const string hint = "export one with 'prompt-learn export' or 'prompt-learn train --do-export'";
        if (System.IO.File.Exists(path)) return path;
        if (!Directory.Exists(path))
        {
            var parent = Path.GetDirectoryName(Path.GetFullPath(path));
            if (parent is not null && System.IO.File.Exists(parent))
                throw new UsageException($"{option}: '{parent}' is a file, not a folder, so '{path}' does not exist.");
            throw new UsageException($"{option}: ONNX model '{path}' does not exist; {hint}.");
        }
        var standard = Path.Combine(path, "model.onnx");
        if (System.IO.File.Exists(standard)) return standard;
        var found = Directory.GetFiles(path, "*.onnx").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        return found.Length switch
        {
            1 => found[0],
            0 => throw new UsageException($"{option}: folder '{path}' holds no .onnx file; {hint}."),
            _ => throw new UsageException($"{option}: folder '{path}' holds several ONNX models ({string.Join(", ", found.Select(Path.GetFileName))}) and no model.onnx; " +
                                          $"give one of them, e.g. {option} {Path.Combine(path, Path.GetFileName(found[0]))}."),
        };
    }
}
