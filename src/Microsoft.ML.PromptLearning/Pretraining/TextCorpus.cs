using System.Text;
using SharpCompress.Compressors.Xz;

namespace Microsoft.ML.PromptLearning.Pretraining;

/// <summary>Reads unlabeled text files: one text per line, UTF-8, plain or <c>.xz</c>-compressed (PaddleNLP's <c>data.txt</c> layout).</summary>
internal static class TextCorpus
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Opens a file as a byte stream, decompressing <c>.xz</c> transparently.</summary>
    public static Stream Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Text file '{path}' does not exist.", path);
        Stream s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return path.EndsWith(".xz", StringComparison.OrdinalIgnoreCase) ? new BufferedStream(new XZStream(s), 1 << 20) : s;
    }

    /// <summary>
    /// The non-blank lines of a file, trimmed (a UTF-8 BOM and CRLF line ends are tolerated). Bytes that are not valid
    /// UTF-8 fail with the file name and line number.
    /// </summary>
    public static IEnumerable<string> ReadLines(string path)
    {
        using var stream = Open(path);
        var line = new MemoryStream();
        long lineNumber = 0;
        var buffer = new byte[1 << 16];
        int read;
        while (true)
        {
            try { read = stream.Read(buffer, 0, buffer.Length); }
            catch (Exception e) when (e is InvalidDataException or InvalidOperationException or IOException && e is not FileNotFoundException)
            { throw new InvalidDataException($"{path}: corrupt compressed data near line {lineNumber + 1} ({e.Message}).", e); }
            if (read == 0) break;
            int start = 0;
            for (int i = 0; i < read; i++)
            {
                if (buffer[i] != (byte)'\n') continue;
                line.Write(buffer, start, i - start);
                start = i + 1;
                var text = Decode(line, path, ++lineNumber);
                line.SetLength(0);
                if (text.Length > 0) yield return text;
            }
            line.Write(buffer, start, read - start);
        }
        if (line.Length > 0)
        {
            var last = Decode(line, path, ++lineNumber);
            if (last.Length > 0) yield return last;
        }
    }

    private static string Decode(MemoryStream bytes, string path, long lineNumber)
    {
        var span = bytes.GetBuffer().AsSpan(0, (int)bytes.Length);
        if (lineNumber == 1 && span.StartsWith(new byte[] { 0xEF, 0xBB, 0xBF })) span = span[3..];
        try { return StrictUtf8.GetString(span).Trim(); }
        catch (DecoderFallbackException e)
        { throw new InvalidDataException($"{path}:{lineNumber}: the line is not valid UTF-8 ({e.Message}). Convert the file to UTF-8.", e); }
    }
}
