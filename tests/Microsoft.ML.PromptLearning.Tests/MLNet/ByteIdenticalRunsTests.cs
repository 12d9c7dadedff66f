using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.PromptLearning.Onnx;
using Xunit.Abstractions;

namespace Microsoft.ML.PromptLearning.Tests.MLNet;

/// <summary>
/// The same seed and the same data give byte-identical files on the CPU: the checkpoint's model_state.safetensors, every
/// entry of the saved model zip (the zip's own timestamps aside) and the ONNX export; for the prompt and the fine-tune
/// recipe, on the bundled model and on the tiny one. A different seed changes them, so the comparison can fail.
/// </summary>
public class ByteIdenticalRunsTests(ITestOutputHelper output)
{
    private sealed record Hashes(string Checkpoint, IReadOnlyDictionary<string, string> ZipEntries, string Onnx)
    {
        public string Weights => ZipEntries.Single(e => e.Key.EndsWith("/Weights.safetensors", StringComparison.Ordinal)).Value;
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static Hashes Train(bool bundled, bool prompt, int seed)
    {
        var dir = TestPaths.NewTempDir();
        var ml = new MLContext(seed: 1);
        var (train, _) = TinyTask.Load(ml, TinyTask.Rows(6, seed: 1));
        ErnieClassifierTransformerBase model;
        if (prompt)
        {
            model = ml.MulticlassClassification.Trainers.PromptErnie(new PromptErnieTrainer.Options
            {
                ModelPath = bundled ? null : TestPaths.Fixture("tiny-ernie"),
                Prompt = "{'soft':'主题'}{'text':'text_a'}{'soft'}{'mask'}",   // random soft tokens and a soft verbalizer: seeded initialisation
                LabelWords = new Dictionary<string, string[]> { ["教育"] = ["教育"], ["经济"] = ["经济"], ["体育"] = ["体育"] },
                Verbalizer = PromptVerbalizerKind.Soft, MaxSteps = 4, BatchSize = 4, MaxSequenceLength = 24, Seed = seed, LoggingSteps = 0,
                CheckpointDirectory = dir, SaveSteps = 2,
            }).Fit(train);
        }
        else
        {
            model = ml.MulticlassClassification.Trainers.ErnieTextClassification(new ErnieTextClassificationTrainer.Options
            {
                ModelPath = bundled ? null : TestPaths.Fixture("tiny-ernie"), Pooling = FineTunePooling.Pooler,   // the bundled model has no pooler weights
                MaxSteps = 4, BatchSize = 4, MaxSequenceLength = 24, Seed = seed, LoggingSteps = 0, CheckpointDirectory = dir, SaveSteps = 2,
            }).Fit(train);
        }
        using (model)
        {
            var zip = Path.Combine(dir, "model.zip");
            ml.Model.SavePromptModel(model, train.Schema, zip);
            var entries = ZipEntries.Hashes(zip);
            using var onnx = new MemoryStream();
            model.ExportToOnnx(onnx);
            return new Hashes(Sha256(File.ReadAllBytes(Path.Combine(dir, "checkpoint-4", "model_state.safetensors"))), entries, Sha256(onnx.ToArray()));
        }
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    public void TheSameSeedGivesTheSameBytes(bool bundled, bool prompt)
    {
        var first = Train(bundled, prompt, seed: 5);
        var second = Train(bundled, prompt, seed: 5);
        output.WriteLine($"{(bundled ? "bundled" : "tiny")} {(prompt ? "prompt" : "fine-tune")}: model_state {first.Checkpoint[..16]}, " +
                         $"Weights.safetensors {first.Weights[..16]}, onnx {first.Onnx[..16]}");
        Assert.Equal(first.Checkpoint, second.Checkpoint);
        Assert.Equal(first.ZipEntries, second.ZipEntries);
        Assert.Equal(first.Onnx, second.Onnx);

        var other = Train(bundled, prompt, seed: 6);
        Assert.NotEqual(first.Checkpoint, other.Checkpoint);
        Assert.NotEqual(first.Weights, other.Weights);
        Assert.NotEqual(first.Onnx, other.Onnx);
    }
}
