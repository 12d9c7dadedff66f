using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Pretraining;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.Pretraining;

public class MlmPretrainerTests
{
    private static MlmPretrainingOptions Options(string outDir, string corpus, long maxSteps, Action<string> log = null) => new()
    {
        OutputDir = outDir, TrainFiles = { corpus }, VocabPath = Path.Combine(TestPaths.Fixture("tiny-ernie"), "vocab.txt"),
        Config = new ErnieConfig { HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 32, TypeVocabSize = 2, VocabSize = 10 },
        SequenceLength = 24, BatchSize = 4, GradientAccumulationSteps = 2, MaxSteps = maxSteps, LearningRate = 5e-3, WarmupSteps = 2,
        EvalSteps = 3, SaveSteps = 100, LoggingSteps = 1, HeldOutEvery = 7, EvalSequences = 4, Seed = 11, Log = log ?? (_ => { }),
    };

    private static string WriteCorpus(string dir)
    {
        var path = Path.Combine(dir, "corpus.txt");
        var rng = new Random(5);
        var chars = "北京冬奥会开幕式顺利举行今天天气很好新闻标题的主题是体育中国人民银行发布数据比赛结果出人意料";
        File.WriteAllLines(path, Enumerable.Range(0, 200).Select(_ => new string(Enumerable.Range(0, rng.Next(8, 30)).Select(_ => chars[rng.Next(chars.Length)]).ToArray())));
        return path;
    }

    private static Dictionary<string, float[]> Weights(string modelDir) =>
        SafeTensors.Load(Path.Combine(modelDir, "model.safetensors")).ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());

    [Fact]
    public void KilledRunResumesToTheSameWeightsAsAnUninterruptedRun()
    {
        var dir = TestPaths.NewTempDir();
        var corpus = WriteCorpus(dir);
        var full = new MlmPretrainer(Options(Path.Combine(dir, "full"), corpus, 6)).Run();
        Assert.Equal(6, full.Step);

        // Interrupt after step 3 (the trainer writes a checkpoint when cancelled), then leave a half-written later checkpoint behind.
        var resumedDir = Path.Combine(dir, "resumed");
        using var cts = new CancellationTokenSource();
        var first = new MlmPretrainer(Options(resumedDir, corpus, 6, line => { if (line.StartsWith("step 3/")) cts.Cancel(); })).Run(cts.Token);
        Assert.Equal(3, first.Step);
        Directory.CreateDirectory(Path.Combine(resumedDir, "checkpoint-5.partial"));
        File.WriteAllText(Path.Combine(resumedDir, "checkpoint-5.partial", "model.safetensors"), "garbage");
        var log = new List<string>();
        var second = new MlmPretrainer(Options(resumedDir, corpus, 6, log.Add)).Run();
        Assert.Equal(6, second.Step);
        Assert.Contains(log, l => l.Contains("resumed from") && l.Contains("checkpoint-3"));
        Assert.Equal(full.TokensSeen, second.TokensSeen);

        var a = Weights(Path.Combine(dir, "full"));
        var b = Weights(resumedDir);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (name, values) in a)
            Assert.True(values.Zip(b[name]).All(p => Math.Abs(p.First - p.Second) <= 1e-6), $"{name} differs after resume by {values.Zip(b[name]).Max(p => Math.Abs(p.First - p.Second))}; full {full.Step}/{full.TokensSeen} resumed {second.Step}/{second.TokensSeen}");
        Assert.Equal(full.HeldOutAccuracy, second.HeldOutAccuracy, 1e-6);
    }

    [Fact]
    public void LearnsARepetitiveCorpusAndLowersHeldOutLoss()
    {
        var dir = TestPaths.NewTempDir();
        var corpus = Path.Combine(dir, "repeat.txt");
        // Ten variants of one sentence; whole variants are held out by hash, yet share most characters with the trained ones.
        File.WriteAllLines(corpus, Enumerable.Range(0, 300).Select(i => "北京冬奥会开幕式顺利举行" + "的一是在中为和了不年"[i % 10]));
        var options = Options(Path.Combine(dir, "out"), corpus, 40);
        options.HeldOutEvery = 3;
        options.EvalSteps = 40;
        var result = new MlmPretrainer(options).Run();
        // From ln(357) ≈ 5.9 nats at random init to well below: the model learned which characters the text uses.
        Assert.True(result.HeldOutLoss < 4.0, $"held-out loss {result.HeldOutLoss}");
        Assert.InRange(result.HeldOutAccuracy, 0, 1);
        var reloaded = ErnieCheckpoint.Load(Path.Combine(dir, "out"));
        Assert.Equal(16, reloaded.Model.Config.HiddenSize);
        // a model pretrained from scratch has a random pooler, which the export leaves out (as HF *ForMaskedLM exports do)
        Assert.False(reloaded.HasPooler);
        Assert.DoesNotContain(SafeTensors.ReadInfo(Path.Combine(dir, "out", "model.safetensors")).Tensors, t => t.Name.Contains("pooler"));
    }

    [Fact]
    public void ContinuedPretrainingKeepsAPretrainedPoolerUnchanged()
    {
        var dir = TestPaths.NewTempDir();
        var options = Options(Path.Combine(dir, "out"), WriteCorpus(dir), 2);
        options.Config = null;
        options.VocabPath = null;
        options.InitFrom = TestPaths.Fixture("tiny-ernie");
        new MlmPretrainer(options).Run();
        var before = Weights(TestPaths.Fixture("tiny-ernie"));
        var after = Weights(Path.Combine(dir, "out"));
        var checkpoint = Weights(Directory.GetDirectories(Path.Combine(dir, "out"), "checkpoint-*").Single());
        foreach (var name in new[] { "ernie.pooler.dense.weight", "ernie.pooler.dense.bias" })
        {
            Assert.Equal(before[name], after[name]);                        // masked-LM training does not touch the pooler
            Assert.Equal(before[name], checkpoint[name]);
        }
        Assert.NotEqual(before["ernie.embeddings.word_embeddings.weight"], after["ernie.embeddings.word_embeddings.weight"]);
        Assert.True(ErnieCheckpoint.Load(Path.Combine(dir, "out")).HasPooler);
    }
}
