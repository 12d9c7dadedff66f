using System.Reflection;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.PromptLearning.MLNet;

/// <summary>
/// The model kinds this package writes into ML.NET model zips, their format versions, and clear errors when one of them
/// cannot be read: a part saved by a newer version of the package, or an entry that is damaged (the zip was changed after
/// it was saved). ML.NET opens the zip and calls our loaders by reflection; these messages name the entry and say what to do.
/// </summary>
internal static class ModelZipFormat
{
    /// <summary>Every loader of this package that can appear in a model zip, with a name for messages.</summary>
    public static readonly IReadOnlyList<(VersionInfo Version, string Kind)> Kinds =
    [
        (PromptErnieTransformer.GetVersionInfo(), "prompt classifier"),
        (ErnieTextClassificationTransformer.GetVersionInfo(), "fine-tune classifier"),
        (ErnieEnsembleTransformer.GetVersionInfo(), "ensemble"),
        (Onnx.OnnxTextEncodingTransformer.GetVersionInfo(), "ONNX text encoding"),
        (Onnx.OnnxProbabilitiesTransformer.GetVersionInfo(), "ONNX probabilities"),
    ];

    /// <summary>The advice every damaged-zip message ends with.</summary>
    public const string Advice = "Copy or save the model again; mlContext.Model.LoadPromptModel checks every entry's checksum before loading and names the damaged one.";

    /// <summary>
    /// Checks the model header at <paramref name="ctx"/> against <paramref name="version"/> (explaining a newer or too old
    /// format), then runs <paramref name="load"/>, turning any failure to decode into an <see cref="InvalidDataException"/>
    /// that names the entry.
    /// </summary>
    public static T Load<T>(ModelLoadContext ctx, VersionInfo version, string kind, Func<T> load)
    {
        var where = Location(ctx, "Model.key");
        if (ctx.Header.ModelSignature == version.ModelSignature)
        {
            var problem = VersionProblem(ctx.Header.ModelVerWritten, ctx.Header.ModelVerReadable, version, kind);
            if (problem is not null) throw new InvalidDataException($"Model zip entry '{where}': {problem}");
        }
        try
        {
            ctx.CheckAtModel(version);
            return load();
        }
        catch (Exception e) when (Unwrap(e) is var cause && IsDecodeFailure(cause) && cause is not InvalidDataException)
        {
            throw new InvalidDataException($"Model zip entry '{where}' ({kind}) cannot be read: {cause.Message} {Advice}", cause);
        }
        catch (TargetInvocationException e) when (e.InnerException is InvalidDataException inner)
        {
            throw new InvalidDataException(inner.Message, inner);   // a nested part (an ensemble member) already named itself
        }
    }

    /// <summary>
    /// Reads the binary stream <paramref name="name"/> of the current part (false when it is absent); a damaged entry
    /// becomes an <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public static bool TryReadEntry(ModelLoadContext ctx, string name, Action<BinaryReader> read)
    {
        try { return ctx.TryLoadBinaryStream(name, read); }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            throw new InvalidDataException($"Model zip entry '{Location(ctx, name)}' is damaged: {e.Message} {Advice}", e);
        }
    }

    /// <summary>Why a part written with these versions cannot be read by <paramref name="version"/>, or null when it can.</summary>
    public static string VersionProblem(uint written, uint readable, VersionInfo version, string kind)
    {
        if (readable > version.VerWrittenCur)
            return $"the {kind} was saved by a newer version of Microsoft.ML.PromptLearning (format 0x{readable:X8}; this version reads " +
                   $"0x{version.VerWeCanReadBack:X8} to 0x{version.VerWrittenCur:X8}). Update the Microsoft.ML.PromptLearning package to load it.";
        if (written < version.VerWeCanReadBack)
            return $"the {kind} was saved in format 0x{written:X8}, older than this version reads (0x{version.VerWeCanReadBack:X8} and newer). " +
                   "Load it with the version that saved it and retrain or save it again.";
        return null;
    }

    /// <summary>The exception behind ML.NET's reflection wrappers.</summary>
    public static Exception Unwrap(Exception e)
    {
        while (e is TargetInvocationException { InnerException: not null } t) e = t.InnerException;
        return e;
    }

    /// <summary>Exceptions that mean "these bytes are not what the loader expected", as opposed to a missing library or a bug elsewhere.</summary>
    public static bool IsDecodeFailure(Exception e) => e is InvalidDataException or FormatException or EndOfStreamException or IOException
        or System.Text.Json.JsonException or ArgumentException or KeyNotFoundException or IndexOutOfRangeException or OverflowException
        or InvalidOperationException;

    private static string Location(ModelLoadContext ctx, string name) => string.IsNullOrEmpty(ctx.Directory) ? name : $"{ctx.Directory}/{name}";
}
