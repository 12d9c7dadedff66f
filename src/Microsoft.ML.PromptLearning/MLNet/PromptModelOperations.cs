using System.Runtime.ExceptionServices;
using Microsoft.ML.PromptLearning.MLNet;

namespace Microsoft.ML.PromptLearning;

/// <summary>
/// Checked loading and atomic saving of model zips that hold this package's classifiers (prompt, fine-tune, ensemble
/// and ONNX scoring pipelines), as extensions of <c>mlContext.Model</c>.
/// </summary>
public static class PromptModelOperations
{
    /// <summary>
    /// Loads a model zip like <c>mlContext.Model.Load(path, out inputSchema)</c>, after checking the file: that it exists
    /// and is a zip archive, was written to the end (not truncated), every entry matches its recorded CRC-32, it holds a
    /// classifier of this package, and no part of it was saved by a newer version of the package. ML.NET itself checks none
    /// of this (a bit flipped in the weights loads silently) and reports a damaged entry as a bare
    /// <see cref="System.Reflection.TargetInvocationException"/>; here every failure is an <see cref="InvalidDataException"/>
    /// that names the file, says what is wrong and what to do.
    /// </summary>
    /// <param name="catalog"><c>mlContext.Model</c>.</param>
    /// <param name="path">The model zip written by <c>mlContext.Model.Save</c>, <see cref="SavePromptModel"/> or <c>prompt-learn train</c>.</param>
    /// <param name="inputSchema">The schema of the data the model was saved with.</param>
    /// <returns>The model, as <c>mlContext.Model.Load</c> returns it (usually a transformer chain ending in the classifier).</returns>
    /// <exception cref="FileNotFoundException"><paramref name="path"/> does not exist or is a folder.</exception>
    /// <exception cref="InvalidDataException">The file is not an intact model zip of this package, or a part of it cannot be read.</exception>
    /// <remarks>Every entry is decompressed once for the check before ML.NET reads it: loading takes a little longer than <c>Load</c>.</remarks>
    public static ITransformer LoadPromptModel(this ModelOperationsCatalog catalog, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ModelZipCheck.Verify(path);
        try
        {
            return catalog.Load(path, out inputSchema);
        }
        catch (Exception e) when (ModelZipFormat.Unwrap(e) is var cause && ModelZipFormat.IsDecodeFailure(cause))
        {
            throw new InvalidDataException($"Model zip '{path}' cannot be loaded: {cause.Message}", cause);
        }
        catch (Exception e) when (ModelZipFormat.Unwrap(e) != e)
        {
            ExceptionDispatchInfo.Capture(ModelZipFormat.Unwrap(e)).Throw();   // not a data problem (e.g. a native library): its own type, unwrapped
            throw;
        }
    }

    /// <summary>
    /// Saves <paramref name="model"/> like <c>mlContext.Model.Save(model, inputSchema, path)</c>, but atomically: the zip is
    /// written to a temporary file beside <paramref name="path"/>, flushed to disk and renamed over it, so <paramref name="path"/>
    /// holds either the previous file or the complete new one, never a partial zip (after a crash, a full disk or an exception
    /// while saving).
    /// </summary>
    /// <param name="catalog"><c>mlContext.Model</c>.</param>
    /// <param name="model">The fitted model (any ML.NET transformer).</param>
    /// <param name="inputSchema">The schema of the data the model takes (e.g. the training data's).</param>
    /// <param name="path">Where to write the zip; its folder is created when missing.</param>
    public static void SavePromptModel(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.Write(path, s => catalog.Save(model, inputSchema, s));
    }
}
