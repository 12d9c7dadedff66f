using System.Text;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.IO;

public class SafeTensorsTests
{
    private static Dictionary<string, Tensor> Sample() => new()
    {
        ["b.float"] = tensor(new[] { 1.5f, -2.25f, 3e-8f, 65504f, float.MaxValue, -0f }, new long[] { 2, 3 }),
        ["a.long"] = tensor(new long[] { long.MinValue, 0, long.MaxValue }),
        ["c.int"] = tensor(new[] { -7, 8 }),
        ["d.bytes"] = tensor(new byte[] { 0, 255, 3 }),
        ["e.bool"] = tensor(new[] { true, false, true }),
        ["f.scalar"] = tensor(4.0f),
    };

    [Fact]
    public void RoundTripKeepsValuesTypesAndShapes()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var path = dir.File("t.safetensors");
        var sample = Sample();
        SafeTensors.Save(path, sample, new Dictionary<string, string> { ["format"] = "pt", ["note"] = "中文" });
        var loaded = SafeTensors.Load(path);
        Assert.Equal(sample.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, t) in sample)
        {
            Assert.Equal(t.dtype, loaded[name].dtype);
            Assert.Equal(t.shape, loaded[name].shape);
            Assert.True(t.eq(loaded[name]).all().item<bool>(), name);
        }
        var (infos, metadata) = SafeTensors.ReadInfo(path);
        Assert.Equal("中文", metadata["note"]);
        Assert.Equal(new[] { "F32", "I64", "I32", "U8", "BOOL", "F32" }, new[] { "b.float", "a.long", "c.int", "d.bytes", "e.bool", "f.scalar" }.Select(n => infos.Single(i => i.Name == n).DType));
    }

    [Fact]
    public void HeaderIsPaddedToEightBytesAndTensorsAreSortedByName()
    {
        using var dir = new TempDirectory();
        var path = dir.File("t.safetensors");
        SafeTensors.Save(path, Sample());
        var bytes = File.ReadAllBytes(path);
        long headerLength = BitConverter.ToInt64(bytes);
        Assert.Equal(0, headerLength % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.True(header.IndexOf("a.long", StringComparison.Ordinal) < header.IndexOf("b.float", StringComparison.Ordinal));
        Assert.Equal(' ', header[^1]);
    }

    [Fact]
    public void HalfStoresFloatsAsF16AndLoadsThemAsFloat32()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var path = dir.File("t.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = tensor(new[] { 1f, 0.1f, -3.5f }), ["i"] = tensor(new long[] { 5 }) }, half: true);
        Assert.Equal(new[] { "F16", "I64" }, SafeTensors.ReadInfo(path).Tensors.OrderBy(t => t.Name, StringComparer.Ordinal).Reverse().Select(t => t.DType));
        var wide = SafeTensors.Load(path);
        Assert.Equal(ScalarType.Float32, wide["w"].dtype);
        Assert.InRange(wide["w"][1].item<float>(), 0.0999f, 0.1001f);
        Assert.Equal(ScalarType.Float16, SafeTensors.Load(path, toFloat32: false)["w"].dtype);
    }

    [Theory]
    [InlineData(new byte[0], "only 0 bytes long")]
    [InlineData(new byte[] { 1, 2, 3 }, "only 3 bytes long")]
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 1 }, "header length 0")]
    [InlineData(new byte[] { 255, 255, 255, 255, 255, 255, 255, 255, 0 }, "header length 18446744073709551615")]
    [InlineData(new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, (byte)'[', (byte)']' }, "corrupt safetensors header")]
    [InlineData(new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, 0xC3, 0x28 }, "corrupt safetensors header")]
    public void InvalidBytesGiveInvalidDataWithTheName(byte[] bytes, string problem)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(new MemoryStream(bytes), "weights.bin"));
        Assert.Contains("'weights.bin'", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Theory]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "appears twice")]
    [InlineData("{\"x\":5}", "malformed")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2]}}", "malformed")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "inconsistent")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", "malformed")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", "malformed")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", "truncated")]
    [InlineData("{\"x\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", "unsupported dtype C64")]
    public void MalformedHeaderEntriesGiveInvalidData(string header, string problem)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = BitConverter.GetBytes((ulong)json.Length).Concat(json).Concat(new byte[8]).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(new MemoryStream(bytes), "w.safetensors"));
        Assert.Contains("'w.safetensors'", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void MissingFileIsFileNotFound()
    {
        var path = Path.Combine(Path.GetTempPath(), "pl-none-" + Guid.NewGuid().ToString("N") + ".safetensors");
        var e = Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void FailedSaveLeavesThePreviousFileAndNoTemporaryFile()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var path = dir.File("t.safetensors");
        SafeTensors.Save(path, Sample());
        var before = File.ReadAllBytes(path);
        // int16 has no writer: the failure comes after the temporary file was created
        var unserializable = new Dictionary<string, Tensor> { ["a"] = ones(3), ["z"] = tensor(new short[] { 1, 2 }) };
        var e = Assert.Throws<NotSupportedException>(() => SafeTensors.Save(path, unserializable));
        Assert.Contains("Int16", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(dir.Path));
    }
}
