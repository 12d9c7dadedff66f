using System.IO.Compression;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Microsoft.ML.PromptLearning.Tests.MLNet;

/// <summary>
/// Damaged and foreign model zips on the ML.NET API path: <c>LoadPromptModel</c> names the file, what is wrong and what to do
/// (truncated, not a zip, a flipped bit, another model kind, a newer format), and plain <c>Model.Load</c> names the entry
/// wherever our loaders run.
/// </summary>
public class DamagedModelZipTests
{
    private const string WeightsEntry = "TransformerChain/Transform_001/Weights.safetensors";
    private const string ClassifierKey = "TransformerChain/Transform_001/Model.key";

    private static string Original => Path.Combine(TestPaths.Fixtures, "model-zips-1.1", "prompt.zip");

    private static string Write(byte[] bytes, string name = "model.zip")
    {
        var path = Path.Combine(TestPaths.NewTempDir(), name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static InvalidDataException LoadChecked(string path) =>
        Assert.Throws<InvalidDataException>(() => new MLContext().Model.LoadPromptModel(path, out _));

    [Fact]
    public void AnIntactZipLoadsAndScoresAsWithLoad()
    {
        var ml = new MLContext(seed: 1);
        var path = Write(File.ReadAllBytes(Original));
        var rows = ml.Data.LoadFromEnumerable(new[] { new TinyTask.Row { Text = "学生教育", Label = "教育" } });
        var expected = ml.Model.Load(path, out _).Transform(rows).GetColumn<float[]>("Score").Single();
        var model = ml.Model.LoadPromptModel(path, out var schema);
        Assert.NotNull(schema.GetColumnOrNull("Text"));
        Assert.Equal(expected, model.Transform(rows).GetColumn<float[]>("Score").Single());
    }

    [Fact]
    public void ATruncatedZipIsCalledTruncated()
    {
        var bytes = File.ReadAllBytes(Original);
        var path = Write(bytes[..(bytes.Length * 2 / 3)]);
        var e = LoadChecked(path);
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("Save or copy the model again", e.Message);
        // ML.NET opens the zip before any code of this package runs: plain Load cannot say more than this.
        Assert.Throws<FormatException>(() => new MLContext().Model.Load(path, out _));
    }

    [Fact]
    public void AFileThatIsNoZipSaysWhatItStartsWith()
    {
        var path = Write("text\tlabel\n学生\t教育\n"u8.ToArray());
        var e = LoadChecked(path);
        Assert.Contains(path, e.Message);
        Assert.Contains("not a zip archive (it starts with 74657874", e.Message);
        Assert.Contains("empty", LoadChecked(Write([])).Message);
        Assert.Contains("folder", Assert.Throws<FileNotFoundException>(() => new MLContext().Model.LoadPromptModel(Path.GetDirectoryName(path), out _)).Message);
        Assert.Contains("does not exist", Assert.Throws<FileNotFoundException>(() => new MLContext().Model.LoadPromptModel(path + ".missing", out _)).Message);
    }

    [Fact]
    public void AFlippedBitFailsTheChecksumThatPlainLoadNeverChecks()
    {
        var bytes = File.ReadAllBytes(Original);
        var (start, length) = CompressedRange(bytes, WeightsEntry);
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.LoadFromEnumerable(new[] { new TinyTask.Row { Text = "学生教育", Label = "教育" } });
        var intact = ml.Model.Load(Original, out _).Transform(rows).GetColumn<float[]>("Score").Single();

        // A bit flipped in the middle of the weights: mostly still valid deflate, so plain Load gives other scores silently.
        bool silentlyWrong = false;
        for (long at = start + length / 2; at < start + length / 2 + 64 && !silentlyWrong; at += 7)
        {
            var flipped = (byte[])bytes.Clone();
            flipped[at] ^= 0x10;
            var path = Write(flipped);
            var e = LoadChecked(path);
            Assert.Contains(path, e.Message);
            Assert.Contains($"entry '{WeightsEntry}'", e.Message);
            Assert.Matches("fails its checksum|cannot be decompressed", e.Message);
            try { silentlyWrong = !ml.Model.Load(path, out _).Transform(rows).GetColumn<float[]>("Score").Single().SequenceEqual(intact); }
            catch (Exception) { }
        }
        Assert.True(silentlyWrong, "no flip changed the scores silently; the test no longer shows why the checksum matters");
    }

    [Fact]
    public void ADamagedEntryThatStopsPlainLoadIsNamedInsideTheReflectionWrapper()
    {
        var bytes = File.ReadAllBytes(Original);
        var (start, _) = CompressedRange(bytes, WeightsEntry);
        // Damage the first deflate block header of the weights until decompression itself fails.
        for (int k = 0; k < 256; k++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[start] = (byte)k;
            damaged[start + 1] ^= 0xFF;
            var path = Write(damaged);
            Exception thrown;
            try { new MLContext().Model.Load(path, out _); continue; }
            catch (Exception e) { thrown = e; }
            // ML.NET calls the loaders by reflection (the chain's, then ours), so the cause sits inside two TargetInvocationExceptions; it names the entry.
            var data = Assert.IsType<InvalidDataException>(CauseBehindReflection(thrown));
            Assert.Contains($"'{WeightsEntry}'", data.Message);
            Assert.Contains("LoadPromptModel", data.Message);
            var checkedLoad = LoadChecked(path);
            Assert.Contains(path, checkedLoad.Message);
            Assert.Contains(WeightsEntry, checkedLoad.Message);
            return;
        }
        Assert.Fail("no damage to the weights' first bytes stopped plain Load");
    }

    [Fact]
    public void AZipOfAnotherModelKindSaysWhatItHolds()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TinyTask.Rows(10, seed: 1));
        var sdca = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Text.FeaturizeText("Features", "Text"))
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: 5))
            .Fit(data);
        var path = Path.Combine(TestPaths.NewTempDir(), "sdca.zip");
        ml.Model.Save(sdca, data.Schema, path);
        ml.Model.Load(path, out _);   // a fine ML.NET model...
        var e = LoadChecked(path);   // ...but not one of this package
        Assert.Contains(path, e.Message);
        Assert.Contains("without a classifier of Microsoft.ML.PromptLearning", e.Message);
        Assert.Contains("MulticlassPredXfer", e.Message);
        Assert.Contains("mlContext.Model.Load", e.Message);
    }

    [Fact]
    public void AModelSavedByANewerVersionAsksForAnUpdate()
    {
        var path = Write(File.ReadAllBytes(Original));
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry(ClassifierKey)!;
            byte[] key;
            using (var s = entry.Open()) { var ms = new MemoryStream(); s.CopyTo(ms); key = ms.ToArray(); }
            Assert.Equal("PRMTERNI", System.Text.Encoding.ASCII.GetString(key, 0x40, 8));   // ModelSignature; versions follow at 0x48 (written) and 0x4C (readable)
            BitConverter.TryWriteBytes(key.AsSpan(0x48), 0x00020001u);
            BitConverter.TryWriteBytes(key.AsSpan(0x4C), 0x00020001u);
            entry.Delete();
            using var w = zip.CreateEntry(ClassifierKey).Open();
            w.Write(key);
        }
        var e = LoadChecked(path);
        Assert.Contains(path, e.Message);
        Assert.Contains("newer version of Microsoft.ML.PromptLearning (format 0x00020001", e.Message);
        Assert.Contains("Update the Microsoft.ML.PromptLearning package", e.Message);

        var cause = CauseBehindReflection(Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(path, out _)));
        Assert.IsType<InvalidDataException>(cause);
        Assert.Contains($"'{ClassifierKey}'", cause.Message);
        Assert.Contains("newer version", cause.Message);
    }

    [Fact]
    public void AZipWithoutModelEntriesIsNotAnMlNetModel()
    {
        var path = Write(File.ReadAllBytes(Original));
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
            foreach (var entry in zip.Entries.Where(x => x.FullName.EndsWith("Model.key", StringComparison.Ordinal)).ToList()) entry.Delete();
        Assert.Contains("not an ML.NET model (it has no Model.key entry)", LoadChecked(path).Message);
    }

    [Fact]
    public void SavePromptModelReplacesTheFileWholeOrNotAtAll()
    {
        var ml = new MLContext(seed: 1);
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "model.zip");
        var model = ml.Model.Load(Original, out var schema);
        ml.Model.SavePromptModel(model, schema, path);
        var saved = File.ReadAllBytes(path);
        ml.Model.LoadPromptModel(path, out _);

        Assert.ThrowsAny<Exception>(() => ml.Model.SavePromptModel(new FailingTransformer(), schema, path));
        Assert.Equal(saved, File.ReadAllBytes(path));                     // the previous model is untouched
        Assert.Equal(new[] { "model.zip" }, Directory.GetFiles(dir).Select(Path.GetFileName));   // and no temporary file is left
    }

    private static Exception CauseBehindReflection(Exception e)
    {
        int wrappers = 0;
        for (; e is TargetInvocationException { InnerException: not null } t; wrappers++) e = t.InnerException;
        Assert.Equal(2, wrappers);
        return e;
    }

    /// <summary>Where the compressed bytes of <paramref name="entryName"/> lie in the zip (after its local header).</summary>
    private static (long Start, long Length) CompressedRange(byte[] bytes, string entryName)
    {
        var name = System.Text.Encoding.UTF8.GetBytes(entryName);
        for (int i = 0; i + 30 < bytes.Length; i++)
        {
            if (bytes[i] != 0x50 || bytes[i + 1] != 0x4B || bytes[i + 2] != 3 || bytes[i + 3] != 4) continue;
            int nameLength = BitConverter.ToUInt16(bytes, i + 26), extraLength = BitConverter.ToUInt16(bytes, i + 28);
            if (!bytes.AsSpan(i + 30, nameLength).SequenceEqual(name)) continue;
            return (i + 30 + nameLength + extraLength, BitConverter.ToUInt32(bytes, i + 18));
        }
        throw new InvalidOperationException($"{entryName} is not in the zip");
    }

    /// <summary>A model whose saving fails halfway, like a full disk.</summary>
    private sealed class FailingTransformer : ITransformer
    {
        public bool IsRowToRowMapper => true;
        public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inputSchema;
        public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => throw new NotSupportedException();
        public IDataView Transform(IDataView input) => input;
        public void Save(ModelSaveContext ctx) => throw new IOException("No space left on device");
    }
}
