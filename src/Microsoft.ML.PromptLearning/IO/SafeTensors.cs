using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning;

/// <summary>
/// Reads and writes the safetensors format (8-byte little-endian header length, JSON header, raw little-endian data),
/// validating every offset and size so that a truncated or corrupt file gives a clear error instead of garbage.
/// </summary>
internal static class SafeTensors
{
    private const long MaxHeaderBytes = 100L << 20;

    /// <summary>Reads every tensor of a safetensors file onto the CPU. F16 and BF16 tensors are widened to float32 when <paramref name="toFloat32"/>.</summary>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt or uses an unsupported dtype.</exception>
    public static Dictionary<string, Tensor> Load(string path, bool toFloat32 = true)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"'{path}' does not exist.", path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Load(fs, path, toFloat32);
    }

    /// <summary>Reads every tensor from a stream; <paramref name="name"/> appears in error messages.</summary>
    public static Dictionary<string, Tensor> Load(Stream stream, string name, bool toFloat32 = true)
    {
        var entries = ReadHeader(stream, name, out long dataStart, out _);
        var result = new Dictionary<string, Tensor>(entries.Count);
        try
        {
            foreach (var e in entries.OrderBy(e => e.Begin))
            {
                stream.Position = dataStart + e.Begin;
                var bytes = new byte[e.End - e.Begin];
                stream.ReadExactly(bytes);
                result[e.Name] = ToTensor(bytes, e, toFloat32);
            }
        }
        catch (EndOfStreamException)
        {
            foreach (var t in result.Values) t.Dispose();
            throw new InvalidDataException($"'{name}' is truncated: its header promises more tensor data than the file holds.");
        }
        return result;
    }

    /// <summary>Reads only the header: tensor names with dtype and shape, and the optional <c>__metadata__</c>.</summary>
    public static (IReadOnlyList<(string Name, string DType, long[] Shape)> Tensors, IReadOnlyDictionary<string, string> Metadata) ReadInfo(string path)
    {
        using var fs = File.OpenRead(path);
        var entries = ReadHeader(fs, path, out _, out var metadata);
        return (entries.Select(e => (e.Name, e.DType, e.Shape)).ToList(), metadata);
    }

    /// <summary>Writes tensors atomically. Float tensors are stored as F32, or F16 when <paramref name="half"/>; integer tensors keep their type.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata = null, bool half = false)
        => AtomicFile.Write(path, s => Save(s, tensors, metadata, half));

    /// <summary>Writes tensors to a stream (sorted by name, as the Python library does).</summary>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata = null, bool half = false)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, tensor) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var (dtype, bytes) = ToBytes(tensor, half);
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            offset += bytes.Length;
            blobs.Add(bytes);
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        var headerBytes = new byte[padded];
        Array.Fill(headerBytes, (byte)' ');
        json.CopyTo(headerBytes, 0);
        stream.Write(BitConverter.GetBytes((ulong)padded));
        stream.Write(headerBytes);
        foreach (var b in blobs) stream.Write(b);
    }

    private sealed record Entry(string Name, string DType, long[] Shape, long Begin, long End);

    private static List<Entry> ReadHeader(Stream stream, string name, out long dataStart, out Dictionary<string, string> metadata)
    {
        long fileLength = stream.Length;
        if (fileLength < 8) throw new InvalidDataException($"'{name}' is not a safetensors file: it is only {fileLength} bytes long.");
        Span<byte> lenBytes = stackalloc byte[8];
        stream.ReadExactly(lenBytes);
        ulong headerLength = BitConverter.ToUInt64(lenBytes);
        if (headerLength == 0 || headerLength > MaxHeaderBytes || (long)headerLength > fileLength - 8)
            throw new InvalidDataException($"'{name}' is not a valid safetensors file: header length {headerLength} does not fit in a file of {fileLength} bytes (truncated or not safetensors).");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        dataStart = 8 + (long)headerLength;
        JsonObject header;
        try
        {
            // Strict UTF-8 first: JsonNode decodes strings lazily, so bad bytes would otherwise surface later as another exception type.
            var text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(headerBytes);
            header = JsonNode.Parse(text) as JsonObject ?? throw new JsonException("header is not a JSON object");
            _ = header.Count;   // JsonObject builds its dictionary lazily: a repeated name throws here, not in the loop below
        }
        catch (JsonException e) { throw new InvalidDataException($"'{name}' has a corrupt safetensors header: {e.Message}", e); }
        catch (DecoderFallbackException e) { throw new InvalidDataException($"'{name}' has a corrupt safetensors header: it is not valid UTF-8 ({e.Message}).", e); }
        catch (ArgumentException e) { throw new InvalidDataException($"'{name}' has a corrupt safetensors header: a tensor name appears twice ({e.Message}).", e); }

        metadata = new Dictionary<string, string>();
        var entries = new List<Entry>();
        long dataLength = fileLength - dataStart;
        foreach (var (key, node) in header)
        {
            try
            {
                if (key == "__metadata__")
                {
                    if (node is JsonObject m) foreach (var (mk, mv) in m) metadata[mk] = mv?.ToString();
                    continue;
                }
                var dtype = Field(node, "dtype").GetValue<string>();
                var shape = Field(node, "shape").AsArray().Select(d => (d ?? throw new FormatException("a dimension of 'shape' is null")).GetValue<long>()).ToArray();
                var offsets = Field(node, "data_offsets").AsArray();
                if (offsets.Count != 2 || offsets[0] is null || offsets[1] is null) throw new FormatException("'data_offsets' must hold two numbers");
                long begin = offsets[0].GetValue<long>(), end = offsets[1].GetValue<long>();
                int elementSize = ElementSize(dtype) ?? throw new InvalidDataException($"'{name}': tensor '{key}' has unsupported dtype {dtype}.");
                long count = shape.Aggregate(1L, (a, b) => checked(a * b));
                if (shape.Any(d => d < 0) || begin < 0 || end < begin || end - begin != count * elementSize)
                    throw new InvalidDataException($"'{name}': tensor '{key}' has inconsistent shape [{string.Join(",", shape)}] and offsets [{begin},{end}].");
                if (end > dataLength)
                    throw new InvalidDataException($"'{name}' is truncated: tensor '{key}' ends at byte {end} of the data section but only {dataLength} bytes are present.");
                entries.Add(new Entry(key, dtype, shape, begin, end));
            }
            // Missing fields are checked explicitly (Field): no NullReferenceException is relied on.
            // ArgumentException: a name repeated inside the entry (JsonObject builds its dictionary lazily).
            catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException or ArgumentException)
            {
                throw new InvalidDataException($"'{name}': the header entry for tensor '{key}' is malformed ({e.Message}).", e);
            }
        }
        return entries;
    }

    /// <summary>A field of a header entry, which must be an object holding it with a non-null value.</summary>
    private static JsonNode Field(JsonNode entry, string field) =>
        entry is not JsonObject o ? throw new FormatException("the entry is not a JSON object")
        : o.TryGetPropertyValue(field, out var value) && value is not null ? value
        : throw new FormatException($"it has no '{field}'");

    private static int? ElementSize(string dtype) => dtype switch
    {
        "F32" or "I32" => 4,
        "F16" or "BF16" or "I16" => 2,
        "F64" or "I64" => 8,
        "U8" or "I8" or "BOOL" => 1,
        _ => null,
    };

    private static Tensor ToTensor(byte[] bytes, Entry e, bool toFloat32)
    {
        ReadOnlySpan<long> dims = e.Shape;
        switch (e.DType)
        {
            case "F32": return tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), dims);
            case "F64": { var t = tensor(MemoryMarshal.Cast<byte, double>(bytes).ToArray(), dims); return toFloat32 ? t.to(float32) : t; }
            case "F16": { var t = tensor(MemoryMarshal.Cast<byte, Half>(bytes).ToArray(), dims); return toFloat32 ? t.to(float32) : t; }
            case "BF16":
            {
                var raw = MemoryMarshal.Cast<byte, ushort>(bytes);
                var f = new float[raw.Length];
                for (int i = 0; i < raw.Length; i++) f[i] = BitConverter.Int32BitsToSingle(raw[i] << 16);
                return tensor(f, dims);
            }
            case "I64": return tensor(MemoryMarshal.Cast<byte, long>(bytes).ToArray(), dims);
            case "I32": return tensor(MemoryMarshal.Cast<byte, int>(bytes).ToArray(), dims);
            case "I16": return tensor(MemoryMarshal.Cast<byte, short>(bytes).ToArray(), dims);
            case "U8": return tensor(bytes, dims);
            case "I8": return tensor(MemoryMarshal.Cast<byte, sbyte>(bytes).ToArray(), dims);
            case "BOOL": return tensor(bytes, dims).to(@bool);
            default: throw new InvalidDataException($"Unsupported dtype {e.DType}.");
        }
    }

    private static (string DType, byte[] Bytes) ToBytes(Tensor t, bool half)
    {
        using var c = t.detach().cpu().contiguous();
        switch (c.dtype)
        {
            case ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16 when half:
            {
                using var h = c.to(float16);
                return ("F16", MemoryMarshal.AsBytes(h.data<Half>().ToArray().AsSpan()).ToArray());
            }
            case ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16:
            {
                using var f = c.to(float32);
                return ("F32", MemoryMarshal.AsBytes(f.data<float>().ToArray().AsSpan()).ToArray());
            }
            case ScalarType.Int64: return ("I64", MemoryMarshal.AsBytes(c.data<long>().ToArray().AsSpan()).ToArray());
            case ScalarType.Int32: return ("I32", MemoryMarshal.AsBytes(c.data<int>().ToArray().AsSpan()).ToArray());
            case ScalarType.Byte: return ("U8", c.data<byte>().ToArray());
            case ScalarType.Bool: { using var u = c.to(ScalarType.Byte); return ("BOOL", u.data<byte>().ToArray()); }
            default: throw new NotSupportedException($"Cannot store a tensor of type {c.dtype} in safetensors.");
        }
    }
}
