using CsCheck;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.Onnx;
using Microsoft.ML.PromptLearning.Onnx.Proto;
using Xunit.Abstractions;
using static Microsoft.ML.PromptLearning.Tests.Onnx.OnnxTestModels;

namespace Microsoft.ML.PromptLearning.Tests.Fuzzing;

/// <summary>
/// Bounded property tests over the readers of saved models: a model zip with damaged bytes loads through
/// <c>LoadPromptModel</c> as the same model (the bytes that changed carried nothing) or fails with
/// <see cref="InvalidDataException"/>; ONNX metadata of any shape, and damaged ONNX bytes, give a scorer or an
/// <see cref="InvalidDataException"/> (or, for a model exported without its vocabulary, the documented
/// <see cref="InvalidOperationException"/>).
/// </summary>
[Trait("Category", FuzzRunner.Category)]
public class FuzzedModelFilesTests(FuzzRunner fuzz, ITestOutputHelper output) : IClassFixture<FuzzRunner>
{
    private static readonly string[] Probe = ["学生教育大学", "经济市场"];

    /// <summary>Offsets of the zip's structures: local headers, central directory records and the end record.</summary>
    private static int[] StructureOffsets(byte[] zip) => Enumerable.Range(0, zip.Length - 4)
        .Where(i => zip[i] == 0x50 && zip[i + 1] == 0x4B && zip[i + 2] is 1 or 3 or 5 && zip[i + 3] == zip[i + 2] + 1).ToArray();

    [Fact]
    public void DamagedModelZipsLoadAsTheSameModelOrFailWithInvalidData()
    {
        var original = File.ReadAllBytes(Path.Combine(TestPaths.Fixtures, "model-zips-1.1", "prompt.zip"));
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.LoadFromEnumerable(Probe.Select(t => new TinyTask.Row { Text = t, Label = "教育" }));
        float[][] expected;
        var expectedModel = ml.Model.Load(new MemoryStream(original), out _);
        expected = expectedModel.Transform(rows).GetColumn<float[]>("Score").ToArray();
        Dispose(expectedModel);
        var structures = StructureOffsets(original);
        var root = TestPaths.NewTempDir();
        // Edits near a zip structure (headers, names, sizes, CRCs, offsets) or anywhere (mostly compressed data); or a cut.
        var at = Gen.OneOf(Gen.Int[0, original.Length - 1], Gen.Select(Gen.Int[0, structures.Length - 1], Gen.Int[0, 80], (s, d) => Math.Min(original.Length - 1, structures[s] + d)));
        var edits = Gen.Select(at, Gen.Byte, Gen.Int[0, 9]).Array[1, 3];
        edits.Fuzz(fuzz, output, "model zip bytes", list =>
        {
            var bytes = (byte[])original.Clone();
            int length = bytes.Length;
            foreach (var (offset, value, kind) in list)
            {
                if (kind == 0) length = Math.Min(length, offset);
                else if (kind < 5) bytes[offset] ^= (byte)(1 << (value & 7));
                else bytes[offset] = value;
            }
            var path = Path.Combine(root, $"m{Environment.CurrentManagedThreadId}.zip");   // cases run on several threads
            File.WriteAllBytes(path, bytes[..length]);
            fuzz.OnlyDocumentedFailure(() =>
            {
                var model = new MLContext(seed: 1).Model.LoadPromptModel(path, out _);
                try
                {
                    var scores = model.Transform(rows).GetColumn<float[]>("Score").ToArray();
                    for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], scores[i]);
                }
                finally { Dispose(model); }
            }, typeof(InvalidDataException));
        }, "0N0XIzNsQ0O2", cases: 300);
    }

    [Fact]
    public void OnnxMetadataOfAnyShapeGivesAScorerOrFailsWithInvalidData()
    {
        var (net, tokenizer) = TinyErnieFineTune();
        var valid = ModelProto.Parser.ParseFrom(Export(net, tokenizer))
            .MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        net.Dispose();
        var keys = valid.Keys.Append("x").ToArray();
        var junk = new[] { "", "0", "-1", "1", "2", "99999999999", "true", "maybe", "[]", "[\"a\"]", "[null]", "{}", "prompt", "text-pair", "null",
            "{\"parts\":[]}", "[{\"mask\":null}]", valid[OnnxModelMetadata.VocabKey][..40], OnnxModelMetadata.Sha256("") };
        // Remove a key, or set it to another key's valid value or to junk.
        var edit = Gen.Select(Gen.Int[0, keys.Length - 1], Gen.Int[0, 2], Gen.Int[0, junk.Length + keys.Length - 1]);
        edit.Array[1, 4].Fuzz(fuzz, output, "ONNX metadata", edits =>
        {
            var map = new Dictionary<string, string>(valid);
            foreach (var (k, kind, v) in edits)
            {
                if (kind == 0) map.Remove(keys[k]);
                else map[keys[k]] = v < junk.Length ? junk[v] : valid.GetValueOrDefault(keys[v - junk.Length], "");
            }
            fuzz.OnlyDocumentedFailure(() =>
            {
                var (metadata, _, encoder) = OnnxPredictor.ReadScoringSetup(map, null, "fuzz.onnx");
                Assert.NotEmpty(metadata.Labels);
                foreach (var text in Probe) Assert.NotEmpty(encoder.Encode(text, null).InputIds);
            }, typeof(InvalidDataException), typeof(InvalidOperationException));
        }, "0N0XIzNsQ0O2", cases: 1500);
    }

    [Fact]
    public void DamagedOnnxBytesGiveAScorerOrFailWithInvalidData()
    {
        var root = TestPaths.NewTempDir();
        var (net, tokenizer) = TinyErnieFineTune();
        var original = Export(net, tokenizer);
        net.Dispose();
        var edits = Gen.Select(Gen.Int[0, original.Length - 1], Gen.Byte, Gen.Int[0, 4]).Array[1, 3];
        edits.Fuzz(fuzz, output, "ONNX bytes", list =>
        {
            var bytes = (byte[])original.Clone();
            int length = bytes.Length;
            foreach (var (offset, value, kind) in list)
            {
                if (kind == 0) length = Math.Min(length, offset);
                else bytes[offset] ^= (byte)(value | 1);
            }
            fuzz.OnlyDocumentedFailure(() =>
            {
                using var predictor = new OnnxPredictor(bytes[..length]);
                var probabilities = predictor.PredictProbabilities(Probe);
                Assert.Equal(Probe.Length, probabilities.Length);
            }, typeof(InvalidDataException));
            var path = Path.Combine(root, $"m{Environment.CurrentManagedThreadId}.onnx");   // cases run on several threads
            File.WriteAllBytes(path, bytes[..length]);
            fuzz.OnlyDocumentedFailure(() => OnnxScoringPipeline.FromOnnxModel(new MLContext(), path), typeof(InvalidDataException));
        }, "0N0XIzNsQ0O2", cases: 150);
    }

    private static void Dispose(ITransformer model)
    {
        if (model is IEnumerable<ITransformer> chain) foreach (var t in chain) (t as IDisposable)?.Dispose();
        else (model as IDisposable)?.Dispose();
    }
}
