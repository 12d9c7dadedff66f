using System.Text;
using SharpCompress.Compressors.Xz;

namespace Microsoft.ML.PromptLearning.Pretraining;

/// <summary>Reads unlabeled text files: one text per line, UTF-8, plain or <c>.xz</c>-compressed (PaddleNLP's <c>data.txt</c> layout).</summary>
public static class TextCorpus
{
    /// <summary>Opens a file for reading, decompressing <c>.xz</c> transparently.</summary>
    public static TextReader Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Text file '{path}' does not exist.", path);
        Stream s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        if (path.EndsWith(".xz", StringComparison.OrdinalIgnoreCase)) s = new BufferedStream(new XZStream(s), 1 << 20);
        return new StreamReader(s, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true, 1 << 16);
    }

    /// <summary>The non-blank lines of a file, trimmed. Invalid UTF-8 fails with the file name and line number.</summary>
    public static IEnumerable<string> ReadLines(string path)
    {
        using var reader = Open(path);
        long lineNumber = 0;
        while (true)
        {
            string line;
            try { line = reader.ReadLine(); }
            catch (DecoderFallbackException e) { throw new InvalidDataException($"{path}:{lineNumber + 1}: the file is not valid UTF-8 ({e.Message}). Convert it to UTF-8.", e); }
            catch (InvalidDataException e) { throw new InvalidDataException($"{path}: corrupt compressed data near line {lineNumber + 1} ({e.Message}).", e); }
            if (line is null) yield break;
            lineNumber++;
            line = line.Trim();
            if (line.Length > 0) yield return line;
        }
    }
}
