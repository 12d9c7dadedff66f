using System.IO.Compression;
using Microsoft.ML.Runtime;
using SharpCompress.Crypto;

namespace Microsoft.ML.PromptLearning.MLNet;

/// <summary>
/// Verifies a model zip before ML.NET opens it: the file exists, is a zip archive that was written to the end, every
/// entry decompresses to its recorded length and CRC-32, it holds a model of this package, and no part of it was saved by a
/// newer version of the package. Each failure is an <see cref="InvalidDataException"/> that names the file, says what is
/// wrong and what to do.
/// </summary>
internal static class ModelZipCheck
{
    private const long MaxModelKeyBytes = 64 << 20;

    /// <summary>Throws unless <paramref name="path"/> is an intact model zip of this package.</summary>
    public static void Verify(string path)
    {
        if (Directory.Exists(path))
            throw new FileNotFoundException(File.Exists(Path.Combine(path, "model.zip"))
                ? $"'{path}' is a folder; give the model zip inside it ('{Path.Combine(path, "model.zip")}')."
                : $"'{path}' is a folder, not a model zip; give the .zip file that mlContext.Model.Save wrote.", path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Model zip '{path}' does not exist.", path);

        using var file = File.OpenRead(path);
        CheckStart(file, path);
        ZipArchive zip;
        try { zip = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true); }
        catch (InvalidDataException e)
        {
            throw Damaged(path, $"it is truncated or its zip directory is damaged ({e.Message}); a model zip whose save, copy or download was cut off looks like this. " +
                                "Save or copy the model again.", e);
        }
        using (zip)
        {
            var parts = new List<(string Entry, ModelHeader Header, string Loader)>();
            foreach (var entry in zip.Entries)
            {
                var bytes = ReadChecked(entry, path, keep: entry.FullName.EndsWith("Model.key", StringComparison.Ordinal));
                if (bytes is not null) parts.Add(ReadHeader(entry.FullName, bytes, path));
            }
            CheckKinds(parts, path);
        }
    }

    private static void CheckStart(FileStream file, string path)
    {
        if (file.Length == 0) throw Damaged(path, "the file is empty (0 bytes): the save or copy that wrote it did not finish. Save or copy the model again.");
        var head = new byte[4];
        int n = file.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        file.Position = 0;
        if (n == 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4) return;
        var what = n > 0 && head[0] == 0x08 && path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
            ? "it is an ONNX model; score it with OnnxPredictor or OnnxScoringPipeline.FromOnnxModel"
            : $"it is not a zip archive (it starts with {Convert.ToHexString(head, 0, n)}, a zip starts with 504B0304); give the model zip that mlContext.Model.Save or prompt-learn train wrote";
        throw Damaged(path, what + ".");
    }

    /// <summary>Decompresses <paramref name="entry"/> through a CRC-32; returns its bytes when <paramref name="keep"/>.</summary>
    private static byte[] ReadChecked(ZipArchiveEntry entry, string path, bool keep)
    {
        if (keep && entry.Length > MaxModelKeyBytes)
            throw Damaged(path, $"entry '{entry.FullName}' claims {entry.Length} bytes, more than a model header ever has: the zip directory is damaged. Save or copy the model again.");
        var kept = keep ? new MemoryStream((int)Math.Max(0, entry.Length)) : null;
        var crc = new Crc32Stream(kept ?? Stream.Null);
        long length = 0;
        try
        {
            using var data = entry.Open();
            var buffer = new byte[1 << 16];
            for (int n; (n = data.Read(buffer)) > 0; length += n) crc.Write(buffer, 0, n);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
        {
            throw Damaged(path, $"entry '{entry.FullName}' cannot be decompressed ({e.Message}): the file was changed after it was saved. Copy or save the model again.", e);
        }
        if (length != entry.Length || crc.Crc != entry.Crc32)
            throw Damaged(path, $"entry '{entry.FullName}' fails its checksum ({length} bytes with CRC-32 {crc.Crc:x8}; the zip records {entry.Length} bytes with {entry.Crc32:x8}): " +
                                "the file was changed after it was saved, e.g. by a disk or transfer error. Copy or save the model again.");
        return kept?.ToArray();
    }

    private static (string, ModelHeader, string) ReadHeader(string entry, byte[] bytes, string path)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, writable: false));
            ModelHeader.BeginRead(out _, out var header, out _, out _, reader);
            return (entry, header, ModelHeader.GetLoaderSig(ref header));
        }
        catch (Exception e) when (ModelZipFormat.IsDecodeFailure(e))
        {
            throw Damaged(path, $"entry '{entry}' is not a valid ML.NET model header ({e.Message}).", e);
        }
    }

    private static void CheckKinds(List<(string Entry, ModelHeader Header, string Loader)> parts, string path)
    {
        if (parts.Count == 0)
            throw Damaged(path, "it is a zip archive but not an ML.NET model (it has no Model.key entry); give the model zip that mlContext.Model.Save or prompt-learn train wrote.");
        bool ours = false;
        foreach (var (entry, header, loader) in parts)
        {
            var kind = ModelZipFormat.Kinds.FirstOrDefault(k => k.Version.LoaderSignature == loader);
            if (kind.Kind is null) continue;
            ours = true;
            var problem = ModelZipFormat.VersionProblem(header.ModelVerWritten, header.ModelVerReadable, kind.Version, kind.Kind);
            if (problem is not null) throw Damaged(path, $"entry '{entry}': {problem}");
        }
        if (!ours)
            throw Damaged(path, "it holds an ML.NET model without a classifier of Microsoft.ML.PromptLearning (its parts: " +
                                $"{string.Join(", ", parts.Select(p => p.Loader).Distinct())}). Load it with mlContext.Model.Load, or give the model zip of a " +
                                "prompt, fine-tune or ensemble model.");
    }

    private static InvalidDataException Damaged(string path, string what, Exception inner = null) =>
        new($"Model zip '{path}' cannot be loaded: {what}", inner);
}
