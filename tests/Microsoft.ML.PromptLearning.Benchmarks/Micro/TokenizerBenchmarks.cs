using BenchmarkDotNet.Attributes;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Tokenization;

namespace Microsoft.ML.PromptLearning.Benchmarks.Micro;

/// <summary>Per-call costs small enough for BenchmarkDotNet: tokenization and a fill-mask on the tiny fixture checkpoint.</summary>
[InProcess, MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private const string Title = "新闻：iPhone12发布会定于9月[MASK]日举行，GPU训练速度提升3倍。这条新闻标题的主题是[MASK][MASK]";
    private ErnieTokenizer tokenizer;
    private FillMask fillMask;

    [GlobalSetup]
    public void Setup()
    {
        var fixture = Path.Combine(RepoPaths.Root, "tests", "fixtures", "tiny-ernie");
        tokenizer = ErnieTokenizer.FromVocabFile(Path.Combine(fixture, "vocab.txt"));
        fillMask = FillMask.Load(fixture);
    }

    [GlobalCleanup]
    public void Cleanup() => fillMask.Dispose();

    [Benchmark]
    public int Encode() => tokenizer.Encode(Title).InputIds.Length;

    [Benchmark]
    public int FillMaskTiny() => fillMask.Predict(Title, topK: 5).Masks.Count;
}
