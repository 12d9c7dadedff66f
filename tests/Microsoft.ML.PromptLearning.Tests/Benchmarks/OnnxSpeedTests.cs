using Microsoft.ML.PromptLearning.Benchmarks.OnnxSpeed;
using Microsoft.ML.PromptLearning.Ernie;

namespace Microsoft.ML.PromptLearning.Tests.Benchmarks;

public class OnnxSpeedTests
{
    [Fact]
    public void BenchRunsEveryEngineOnATinyModel()
    {
        var config = new ErnieConfig { NumHiddenLayers = 1, HiddenSize = 32, NumAttentionHeads = 4, IntermediateSize = 64, VocabSize = 500, MaxPositionEmbeddings = 64 };
        var texts = Enumerable.Range(0, 10).Select(i => new string('学', 1 + i * 3)).ToList();
        using var bench = new OnnxSpeedBench(config, texts, maxLength: 16, vocabPath: Path.Combine(TestPaths.Fixture("tiny-ernie"), "vocab.txt"));
        Assert.Equal(16, bench.MaxTokens);
        foreach (var engine in new[] { "ort-fp32", "ort-int8", "ort-int8-nbits" })
        {
            var (bytes, _) = bench.Prepare(engine);
            Assert.True(bytes > 0);
            var (maxDiff, agreement) = bench.CompareWithTorch(engine);
            Assert.True(engine != "ort-fp32" || maxDiff <= 1e-5, $"{engine}: {maxDiff}");
            Assert.True(agreement > 0);
        }
        foreach (var engine in new[] { "torch", "ort-fp32", "ort-int8" })
        {
            var r = bench.Measure(engine, batchSize: 4, threads: 1);
            Assert.Equal(3, r.Batches);
            Assert.True(r.SamplesPerSecond > 0 && r.P50Ms <= r.P99Ms, engine);
        }
    }
}
