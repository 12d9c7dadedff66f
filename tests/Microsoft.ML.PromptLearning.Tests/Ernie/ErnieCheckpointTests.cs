using System.Text;
using Microsoft.ML.PromptLearning.Ernie;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.Ernie;

/// <summary>
/// Loading damaged or mismatched checkpoint folders fails with an exception that names the file and the problem;
/// saving and loading again keeps the model exactly, in a layout Python reads.
/// </summary>
public class ErnieCheckpointTests
{
    private const string Weights = "model.safetensors";

    private static T LoadFails<T>(string folder) where T : Exception => Assert.Throws<T>(() => ErnieCheckpoint.Load(folder));

    private static long HeaderLength(string path)
    {
        using var fs = File.OpenRead(path);
        var b = new byte[8];
        fs.ReadExactly(b);
        return BitConverter.ToInt64(b);
    }

    private static void Truncate(string path, long length)
    {
        using var fs = new FileStream(path, FileMode.Open);
        fs.SetLength(length);
    }

    /// <summary>Cut points: empty, inside the 8-byte length, right after it, inside the header, right after it, inside and near the end of the data.</summary>
    [Theory]
    [InlineData("empty", "bytes long")]
    [InlineData("inside-length", "bytes long")]
    [InlineData("after-length", "does not fit")]
    [InlineData("inside-header", "does not fit")]
    [InlineData("after-header", "truncated")]
    [InlineData("inside-data", "truncated")]
    [InlineData("last-byte-missing", "truncated")]
    public void TruncatedSafetensorsNamesFileAndProblem(string cut, string problem)
    {
        using var dir = TempDirectory.CopyOf("tiny-ernie");
        var path = dir.File(Weights);
        long header = HeaderLength(path), length = new FileInfo(path).Length;
        Truncate(path, cut switch
        {
            "empty" => 0,
            "inside-length" => 5,
            "after-length" => 8,
            "inside-header" => 8 + header / 2,
            "after-header" => 8 + header,
            "inside-data" => 8 + header + (length - 8 - header) / 2,
            _ => length - 1,
        });
        var e = LoadFails<InvalidDataException>(dir.Path);
        Assert.Contains(path, e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void GarbageHeaderJsonIsReportedAsCorruptHeader()
    {
        using var dir = TempDirectory.CopyOf("tiny-ernie");
        var path = dir.File(Weights);
        var bytes = File.ReadAllBytes(path);
        Encoding.ASCII.GetBytes("{\"cls.predictions.bias\": [garbage").CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        var e = LoadFails<InvalidDataException>(dir.Path);
        Assert.Contains(path, e.Message);
        Assert.Contains("corrupt safetensors header", e.Message);
    }

    [Theory]
    [InlineData("\"dtype\":\"F32\"", "\"dtype\":\"X32\"", "unsupported dtype X32")]
    [InlineData("\"shape\":[357]", "\"shape\":[358]", "inconsistent shape [358]")]
    [InlineData("\"shape\":[357]", "\"shape\":\"357\"", "malformed")]
    [InlineData("\"data_offsets\":[0,", "\"data_offsets\":[9,", "inconsistent shape")]
    public void MalformedHeaderEntryNamesTensor(string from, string to, string problem)
    {
        using var dir = TempDirectory.CopyOf("tiny-ernie");
        var path = dir.File(Weights);
        ReplaceInHeader(path, from, to);
        var e = LoadFails<InvalidDataException>(dir.Path);
        Assert.Contains(path, e.Message);
        Assert.Contains("cls.predictions.bias", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void HeaderLengthBeyondTheFileIsRejected()
    {
        using var dir = TempDirectory.CopyOf("tiny-ernie");
        var path = dir.File(Weights);
        var bytes = File.ReadAllBytes(path);
        BitConverter.GetBytes((ulong)bytes.Length).CopyTo(bytes, 0);
        File.WriteAllBytes(path, bytes);
        var e = LoadFails<InvalidDataException>(dir.Path);
        Assert.Contains(path, e.Message);
        Assert.Contains($"header length {bytes.Length} does not fit in a file of {bytes.Length} bytes", e.Message);
    }

    [Theory]
    [InlineData("\"hidden_size\": 64", "\"hidden_size\": 32", "ernie.encoder.layer.0.attention.self.query.weight: checkpoint [64,64] vs model [32,32]")]
    [InlineData("\"vocab_size\": 357", "\"vocab_size\": 400", "ernie.embeddings.word_embeddings.weight: checkpoint [357,64] vs model [400,64]")]
    [InlineData("\"intermediate_size\": 128", "\"intermediate_size\": 96", "intermediate.dense.weight: checkpoint [128,64] vs model [96,64]")]
    public void ConfigThatDoesNotMatchTheWeightsListsMisShapedTensors(string from, string to, string expected)
    {
        using var dir = TempDirectory.CopyOf("tiny-ernie");
        var config = dir.File("config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace(from, to));
        var e = LoadFails<InvalidDataException>(dir.Path);
        Assert.Contains(dir.File(Weights), e.Message);
        Assert.Contains("wrong shape", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        using var dir = TempDirectory.CopyOf("tiny-ernie");
        RewriteWeights(dir.File(Weights), state => { state.Remove("ernie.encoder.layer.1.output.dense.bias", out var t); t.Dispose(); });
        var e = LoadFails<InvalidDataException>(dir.Path);
        Assert.Contains(dir.File(Weights), e.Message);
        Assert.Contains("missing 1: ernie.encoder.layer.1.output.dense.bias", e.Message);
    }

    [Fact]
    public void UnexpectedExtraTensorIsNamed()
    {
        using var dir = TempDirectory.CopyOf("tiny-ernie");
        RewriteWeights(dir.File(Weights), state => state["classifier.weight"] = zeros(3, 64));
        var e = LoadFails<InvalidDataException>(dir.Path);
        Assert.Contains(dir.File(Weights), e.Message);
        Assert.Contains("unexpected 1: classifier.weight", e.Message);
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("header-only")]
    [InlineData("half")]
    [InlineData("last-bytes-missing")]
    [InlineData("garbage")]
    [InlineData("text")]
    public void DamagedPytorchBinNamesFile(string damage)
    {
        using var dir = TempDirectory.CopyOf("tiny-bert");
        var path = dir.File("pytorch_model.bin");
        long length = new FileInfo(path).Length;
        switch (damage)
        {
            case "garbage": File.WriteAllBytes(path, RandomBytes(4096, seed: 7)); break;
            case "text": File.WriteAllText(path, "version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n"); break;
            default: Truncate(path, damage switch { "empty" => 0, "header-only" => 64, "half" => length / 2, _ => length - 10 }); break;
        }
        var e = LoadFails<InvalidDataException>(dir.Path);
        Assert.Contains(path, e.Message);
        Assert.Contains("Could not read PyTorch weights", e.Message);
    }

    [Fact]
    public void MissingFolderIsDirectoryNotFound()
    {
        var folder = Path.Combine(Path.GetTempPath(), "pl-no-such-model-" + Guid.NewGuid().ToString("N"));
        var e = LoadFails<DirectoryNotFoundException>(folder);
        Assert.Contains(folder, e.Message);
    }

    [Theory]
    [InlineData("config.json", "neither config.json nor model_config.json")]
    [InlineData("vocab.txt", "has no vocab.txt")]
    [InlineData(Weights, "has no weights")]
    public void MissingFileIsNamed(string file, string problem)
    {
        using var dir = TempDirectory.CopyOf("tiny-ernie");
        File.Delete(dir.File(file));
        var e = LoadFails<InvalidDataException>(dir.Path);
        Assert.Contains(dir.Path, e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void GarbageConfigIsNamed()
    {
        using var dir = TempDirectory.CopyOf("tiny-ernie");
        File.WriteAllText(dir.File("config.json"), "{ \"hidden_size\": 64, ");
        var e = LoadFails<InvalidDataException>(dir.Path);
        Assert.Contains(dir.File("config.json"), e.Message);
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void VocabLargerThanConfigVocabSizeIsRejected()
    {
        using var dir = TempDirectory.CopyOf("tiny-ernie");
        File.AppendAllLines(dir.File("vocab.txt"), Enumerable.Range(0, 10).Select(i => $"extra{i}"));
        var e = LoadFails<InvalidDataException>(dir.Path);
        Assert.Contains("vocab.txt", e.Message);
        Assert.Contains(dir.Path, e.Message);
        Assert.Contains("has 367 tokens but config.json says vocab_size 357", e.Message);
    }

    [Fact]
    public void VocabWithoutSpecialTokensIsNamed()
    {
        using var dir = TempDirectory.CopyOf("tiny-ernie");
        File.WriteAllLines(dir.File("vocab.txt"), File.ReadAllLines(dir.File("vocab.txt")).Where(t => t != "[MASK]"));
        var e = LoadFails<InvalidDataException>(dir.Path);
        Assert.Contains(dir.File("vocab.txt"), e.Message);
        Assert.Contains("no [MASK] token", e.Message);
    }

    [Fact]
    public void PaddlePaddleOnlyFolderAsksForConversion()
    {
        using var dir = TempDirectory.CopyOf("tiny-ernie");
        File.Move(dir.File("config.json"), dir.File("model_config.json"));
        File.Delete(dir.File(Weights));
        File.WriteAllBytes(dir.File("model_state.pdparams"), RandomBytes(256, seed: 3));
        var e = LoadFails<InvalidDataException>(dir.Path);
        Assert.Contains(dir.Path, e.Message);
        Assert.Contains("PaddlePaddle weights (model_state.pdparams)", e.Message);
    }

    [Theory]
    [InlineData("tiny-ernie", false)]
    [InlineData("tiny-bert", false)]
    [InlineData("tiny-ernie", true)]
    public void SaveThenLoadGivesTheSameLogits(string fixture, bool half)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var dir = new TempDirectory();
        var original = ErnieCheckpoint.Load(TestPaths.Fixture(fixture));
        ErnieCheckpoint.Save(original.Model, original.Tokenizer, dir.Path, half);
        var reloaded = ErnieCheckpoint.Load(dir.Path);
        Assert.Equal(original.Tokenizer.VocabText, reloaded.Tokenizer.VocabText);
        Assert.Equal(original.Model.Config.ToJson().ToJsonString(), reloaded.Model.Config.ToJson().ToJsonString());

        manual_seed(11);
        var ids = randint(0, original.Tokenizer.VocabSize, new long[] { 3, 17 });
        var inputs = new ErnieInputs { InputIds = ids, TokenTypeIds = randint(0, 2, new long[] { 3, 17 }) };
        var before = original.Model.forward(inputs);
        var after = reloaded.Model.forward(inputs);
        if (!half)
            Assert.True(Bits(before).SequenceEqual(Bits(after)), $"logits differ by {(before - after).abs().max().item<float>()}");
        else
        {
            double relative = (before - after).abs().max().item<float>() / before.abs().max().item<float>();
            Assert.True(relative <= 1e-2, $"float16 checkpoint: relative logit difference {relative:E2}");
            Assert.All(SafeTensors.ReadInfo(dir.File(Weights)).Tensors, t => Assert.Equal("F16", t.DType));
        }
        original.Model.Dispose();
        reloaded.Model.Dispose();
    }

    [Theory]
    [InlineData("tiny-bert", "bert.")]
    [InlineData("tiny-ernie", "ernie.")]
    public void SaveUsesTheModelTypesParameterPrefix(string fixture, string prefix)
    {
        using var dir = new TempDirectory();
        var loaded = ErnieCheckpoint.Load(TestPaths.Fixture(fixture));
        ErnieCheckpoint.Save(loaded.Model, loaded.Tokenizer, dir.Path, metadata: new Dictionary<string, string> { ["source"] = fixture });
        var (tensors, metadata) = SafeTensors.ReadInfo(dir.File(Weights));
        Assert.All(tensors, t => Assert.True(t.Name.StartsWith(prefix, StringComparison.Ordinal) || t.Name.StartsWith("cls.predictions.", StringComparison.Ordinal), t.Name));
        Assert.Contains(tensors, t => t.Name == prefix + "embeddings.word_embeddings.weight");
        Assert.Equal("pt", metadata["format"]);
        Assert.Equal(fixture, metadata["source"]);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
        loaded.Model.Dispose();
    }

    [Fact]
    public void ACheckpointSavedWithoutThePoolerSaysSoWhenLoaded()
    {
        using var dir = new TempDirectory();
        var loaded = ErnieCheckpoint.Load(TestPaths.Fixture("tiny-ernie"));
        Assert.True(loaded.HasPooler);
        ErnieCheckpoint.Save(loaded.Model, loaded.Tokenizer, dir.Path, includePooler: false);
        var tensors = SafeTensors.ReadInfo(dir.File(Weights)).Tensors;
        Assert.DoesNotContain(tensors, t => t.Name.StartsWith("ernie.pooler.", StringComparison.Ordinal));
        Assert.Contains(tensors, t => t.Name == "ernie.encoder.layer.0.output.dense.weight");
        var reloaded = ErnieCheckpoint.Load(dir.Path);
        Assert.False(reloaded.HasPooler);
        using var _ = no_grad();
        var inputs = new ErnieInputs { InputIds = tensor(new long[] { 1, 5, 6, 7, 2 }).unsqueeze(0) };
        Assert.True(Bits(loaded.Model.forward(inputs)).SequenceEqual(Bits(reloaded.Model.forward(inputs))), "the masked LM must not depend on the pooler");
    }

    [Fact]
    public void TheBundledModelHasNoPoolerSinceMaskedLmPretrainingNeverTrainedOne()
    {
        var folder = Path.Combine(TestPaths.RepoRoot, "src", "Microsoft.ML.PromptLearning.Models.ChineseMini", "model");
        Assert.DoesNotContain(SafeTensors.ReadInfo(Path.Combine(folder, Weights)).Tensors, t => t.Name.Contains("pooler"));
        Assert.False(ErnieCheckpoint.Load(folder).HasPooler);
    }

    [PythonTorchTheory]
    [InlineData("tiny-ernie")]
    [InlineData("tiny-bert")]
    public void SavedCheckpointLoadsInPythonReference(string fixture)
    {
        using var dir = new TempDirectory();
        var loaded = ErnieCheckpoint.Load(TestPaths.Fixture(fixture));
        ErnieCheckpoint.Save(loaded.Model, loaded.Tokenizer, dir.Path);
        loaded.Model.Dispose();
        var (code, output) = PythonReference.RunScript("check_roundtrip.py", dir.Path, "--expected", TestPaths.Fixture(fixture));
        Assert.True(code == 0, $"check_roundtrip.py exited with {code}:\n{output}");
        Assert.Contains("-> OK", output);
    }

    private static int[] Bits(Tensor t) => t.data<float>().Select(BitConverter.SingleToInt32Bits).ToArray();

    private static void ReplaceInHeader(string path, string from, string to)
    {
        Assert.Equal(from.Length, to.Length);
        var bytes = File.ReadAllBytes(path);
        int headerEnd = 8 + (int)BitConverter.ToInt64(bytes);
        var header = Encoding.UTF8.GetString(bytes, 8, headerEnd - 8);
        int at = header.IndexOf(from, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{from}' not in the header");
        Encoding.UTF8.GetBytes(to).CopyTo(bytes, 8 + at);
        File.WriteAllBytes(path, bytes);
    }

    private static void RewriteWeights(string path, Action<Dictionary<string, Tensor>> change)
    {
        var state = SafeTensors.Load(path);
        change(state);
        SafeTensors.Save(path, state, new Dictionary<string, string> { ["format"] = "pt" });
        foreach (var t in state.Values) t.Dispose();
    }

    private static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }
    [Fact]
    public void APickleWithCodeIsRefusedWithoutRunningItAndPointsToSafetensors()
    {
        // torch.save's zip layout with a data.pkl whose dict value calls posix.system("touch <marker>") when unpickled.
        var dir = TestPaths.NewTempDir();
        var marker = Path.Combine(dir, "ran");
        var command = System.Text.Encoding.ASCII.GetBytes("touch " + marker);
        var pickle = new List<byte> { 0x80, 0x02, (byte)'}', (byte)'X', 1, 0, 0, 0, (byte)'w' };
        pickle.AddRange(System.Text.Encoding.ASCII.GetBytes("cposix\nsystem\n"));
        pickle.Add((byte)'X');
        pickle.AddRange(BitConverter.GetBytes(command.Length));
        pickle.AddRange(command);
        pickle.AddRange(new[] { (byte)0x85, (byte)'R', (byte)'s', (byte)'.' });
        var path = Path.Combine(dir, "pytorch_model.bin");
        using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
        using (var entry = zip.CreateEntry("archive/data.pkl").Open())
            entry.Write(pickle.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => ErnieCheckpoint.ReadStateDict(path));
        Assert.False(File.Exists(marker), "the pickled code must not run");
        Assert.True(e.Message.Contains("posix.system") && e.Message.Contains("safetensors"), e.Message);
        Assert.Contains("posix.system", e.Message);
        Assert.Contains("safetensors", e.Message);
        Assert.DoesNotContain("IObjectConstructor", e.Message);
    }
}
