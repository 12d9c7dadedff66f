using System.Text.Json;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Pretraining;
using Microsoft.ML.PromptLearning.Tokenization;

namespace Microsoft.ML.PromptLearning.Tests.Pretraining;

/// <summary>Whole-word masking: jieba from the package's own dictionary, word-start flags in packed sequences, whole-word selection, exact resume.</summary>
public class WholeWordMaskingTests
{
    private static readonly ErnieTokenizer Tokenizer = ErnieTokenizer.FromVocabFile(Path.Combine(TestPaths.Fixture("tiny-ernie"), "vocab.txt"));
    private const int Cls = 1, Sep = 2, Mask = 3, Pad = 0, Unk = 99;
    private static readonly MlmMasker Masker = new(Mask, 100, new[] { Cls, Sep, Pad, Unk });

    /// <summary>Splits on spaces and keeps them as words (a predictable stand-in for jieba).</summary>
    private sealed class SpaceSegmenter : IWordSegmenter
    {
        public IEnumerable<string> Segment(string text) => System.Text.RegularExpressions.Regex.Split(text, "( )").Where(w => w.Length > 0);
    }

    [Fact]
    public void JiebaSegmentsWithTheDictionaryCopiedFromThePackage()
    {
        var jieba = JiebaWordSegmenter.Shared;
        Assert.Equal(new[] { "北京", "冬奥会", "开幕式", "顺利", "举行" }, jieba.Segment("北京冬奥会开幕式顺利举行"));
        // The dictionary comes from the build output (copied from the jieba.NET package), not from a download or the NuGet cache.
        Assert.Equal(Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, JiebaWordSegmenter.OutputFolder)), jieba.DictionaryFolder);
        Assert.All(JiebaWordSegmenter.RequiredFiles, f => Assert.True(File.Exists(Path.Combine(jieba.DictionaryFolder, f)), f));
        Assert.Equal("今天天气 很 好 ， hello world 2024 年", string.Join(" ", jieba.Segment("今天天气很好，hello world 2024年").Where(w => w != " ")));
    }

    [Fact]
    public void AMissingDictionaryFolderIsNamed()
    {
        var empty = TestPaths.NewTempDir();
        var e = Assert.Throws<FileNotFoundException>(() => JiebaWordSegmenter.Create(empty));
        Assert.Contains(empty, e.Message);
        Assert.Contains("dict.txt", e.Message);
    }

    [Theory]
    [InlineData("北京冬奥会开幕式顺利举行", "1 0 1 0 0 1 0 0 1 0 1 0")]   // 北京|冬奥会|开幕式|顺利|举行 (顺 is [UNK] in the tiny vocabulary)
    [InlineData("北京2024年举行", "1 0 1 1 1 0")]
    public void WordStartsFollowJiebaAndIdsStayTheSame(string text, string expectedStarts)
    {
        var (ids, starts) = PackedSequenceStream.TokenizeWords(Tokenizer, JiebaWordSegmenter.Shared, text);
        Assert.Equal(Tokenizer.Tokenize(text), ids);
        Assert.Equal(expectedStarts.Split(' ').Select(f => f == "1"), starts);
    }

    [Fact]
    public void SegmentsSplitInsideATokenAreMergedUntilTheyMatch()
    {
        // jieba cuts "[MASK]" and full-width digits apart; the tokenizer keeps each one token. Ids never change.
        foreach (var text in new[] { "北京[MASK]举行", "２０２４年北京", "iPhone与cafe开幕" })
        {
            var (ids, starts) = PackedSequenceStream.TokenizeWords(Tokenizer, JiebaWordSegmenter.Shared, text);
            Assert.Equal(Tokenizer.Tokenize(text), ids);
            Assert.True(starts[0]);
            Assert.Equal(ids.Count, starts.Count);
        }
        var (maskIds, maskStarts) = PackedSequenceStream.TokenizeWords(Tokenizer, JiebaWordSegmenter.Shared, "北京[MASK]举行");
        Assert.Equal(new[] { true, false, true, true, false }, maskStarts);
        Assert.Equal(Tokenizer.MaskId, maskIds[2]);
    }

    [Fact]
    public void StreamWithWordsHasTheSameIdsAndResumesExactly()
    {
        var lines = new[] { "北京冬奥会开幕式顺利举行", "今天天气很好", "新闻标题的主题是体育", "中国人民银行发布数据", "比赛结果出人意料" };
        var plain = new PackedSequenceStream(lines, Tokenizer, length: 12, seed: 4);
        var words = new PackedSequenceStream(lines, Tokenizer, length: 12, seed: 4, wordSegmenter: JiebaWordSegmenter.Shared);
        for (int i = 0; i < 9; i++)
        {
            var s = words.NextSequence();
            Assert.Equal(plain.Next(), s.Ids);
            Assert.Equal(12, s.WordStarts.Length);
            Assert.True(s.WordStarts[0] && s.WordStarts[^1]);
        }
        Assert.Null(plain.NextSequence().WordStarts);
        Assert.DoesNotContain("CarryWordStarts", JsonSerializer.Serialize(plain.Position));   // trainer_state.json of character-level runs is unchanged

        var saved = JsonSerializer.Deserialize<StreamPosition>(JsonSerializer.Serialize(words.Position));
        var restarted = new PackedSequenceStream(lines, Tokenizer, length: 12, seed: 4, saved, JiebaWordSegmenter.Shared);
        for (int i = 0; i < 10; i++)
        {
            var a = words.NextSequence();
            var b = restarted.NextSequence();
            Assert.Equal(a.Ids, b.Ids);
            Assert.Equal(a.WordStarts, b.WordStarts);
        }
    }

    [Fact]
    public void APositionSavedWithoutWordsGetsWordPieceStarts()
    {
        var lines = new[] { "ok iphone gpu cafe 开幕 北京 举行 ok" };
        var plain = new PackedSequenceStream(lines, Tokenizer, length: 8, seed: 1);
        plain.Next();
        Assert.NotEmpty(plain.Position.Carry);
        var words = new PackedSequenceStream(lines, Tokenizer, length: 8, seed: 1, plain.Position, new SpaceSegmenter());
        var s = words.NextSequence();
        Assert.Equal(8, s.WordStarts.Length);
        Assert.Equal(plain.Position.Carry.Count, plain.Position.CarryWordStarts.Count);
    }

    private static (int[] Ids, bool[] Starts, List<(int Start, int Count)> Words) RandomWords(int length, int seed)
    {
        var rng = new Random(seed);
        var ids = new int[length];
        var starts = new bool[length];
        var words = new List<(int, int)>();
        ids[0] = Cls; starts[0] = true;
        ids[^1] = Sep; starts[^1] = true;
        int i = 1;
        while (i < length - 1)
        {
            if (rng.Next(12) == 0) { ids[i] = Sep; starts[i] = true; i++; continue; }
            int n = Math.Min(1 + rng.Next(4), length - 1 - i);
            words.Add((i, n));
            for (int k = 0; k < n; k++) { ids[i + k] = 10 + rng.Next(80); starts[i + k] = k == 0; }
            i += n;
        }
        return (ids, starts, words);
    }

    [Fact]
    public void EverySelectedWordIsSelectedWholeAndAboutFifteenPercentOfTokens()
    {
        double selected = 0, ordinary = 0;
        for (int seed = 0; seed < 200; seed++)
        {
            var (ids, starts, words) = RandomWords(128, seed);
            var (ids2, starts2, words2) = RandomWords(128, seed + 1000);
            var batch = Masker.Mask(new[] { ids, ids2 }, new[] { starts, starts2 }, seed);
            var chosen = batch.FlatPositions.ToHashSet();
            foreach (var (row, rowWords) in new[] { (0, words), (1, words2) })
            {
                foreach (var (start, count) in rowWords)
                {
                    int hits = Enumerable.Range(start, count).Count(p => chosen.Contains(row * 128 + p));
                    Assert.True(hits == 0 || hits == count, $"seed {seed}: word at {start} (length {count}) is {hits}/{count} selected");
                }
                int rowOrdinary = rowWords.Sum(w => w.Count);
                int rowSelected = chosen.Count(p => p / 128 == row);
                Assert.InRange(rowSelected, 1, (int)Math.Round(rowOrdinary * 0.15));
                ordinary += rowOrdinary;
                selected += rowSelected;
            }
            Assert.Equal(batch.FlatPositions.Select(p => (long)(p < 128 ? ids[p] : ids2[p - 128])), batch.Labels);
            Assert.All(batch.FlatPositions, p => Assert.True((p < 128 ? ids[p] : ids2[p - 128]) >= 10, "a special token was selected"));
        }
        Assert.InRange(selected / ordinary, 0.135, 0.151);
    }

    [Fact]
    public void EightyTenTenIsDecidedPerToken()
    {
        int masked = 0, kept = 0, total = 0, mixedWords = 0;
        for (int seed = 0; seed < 200; seed++)
        {
            var (ids, starts, words) = RandomWords(128, seed);
            var batch = Masker.Mask(new[] { ids }, new[] { starts }, seed);
            for (int i = 0; i < batch.FlatPositions.Length; i++)
            {
                long now = batch.InputIds[batch.FlatPositions[i]];
                total++;
                if (now == Mask) masked++; else if (now == batch.Labels[i]) kept++;
            }
            var chosen = batch.FlatPositions.ToHashSet();
            foreach (var (start, count) in words.Where(w => w.Count > 1 && chosen.Contains(w.Start)))
                if (Enumerable.Range(start, count).Select(p => batch.InputIds[p] == Mask).Distinct().Count() > 1) mixedWords++;
        }
        Assert.InRange(masked / (double)total, 0.77, 0.83);
        Assert.InRange(kept / (double)total, 0.07, 0.13);
        Assert.True(mixedWords > 0, "some selected word should have both [MASK] and other tokens");
    }

    [Fact]
    public void SameSeedSameMasksAndNoFlagsMeansCharacterMasking()
    {
        var (ids, starts, _) = RandomWords(64, 3);
        var a = Masker.Mask(new[] { ids }, new[] { starts }, 5);
        var b = Masker.Mask(new[] { ids }, new[] { starts }, 5);
        Assert.Equal(a.InputIds, b.InputIds);
        Assert.Equal(a.FlatPositions, b.FlatPositions);
        Assert.NotEqual(a.FlatPositions, Masker.Mask(new[] { ids }, new[] { starts }, 6).FlatPositions);

        var character = Masker.Mask(new[] { ids }, 5);
        var viaNull = Masker.Mask(new[] { ids }, null, 5);
        Assert.Equal(character.InputIds, viaNull.InputIds);
        Assert.Equal(character.FlatPositions, viaNull.FlatPositions);
        // All flags set = every token is its own word: the same count as character-level masking.
        Assert.Equal(character.FlatPositions.Length, Masker.Mask(new[] { ids }, new[] { ids.Select(_ => true).ToArray() }, 5).FlatPositions.Length);
    }

    [Fact]
    public void AWordLongerThanTheTargetIsStillSelectedWhenNothingElseFits()
    {
        var ids = new[] { Cls, 10, 11, 12, 13, 14, 15, Sep };
        var starts = new[] { true, true, false, false, false, false, false, true };   // one six-token word, target round(6·0.15) = 1
        var batch = Masker.Mask(new[] { ids }, new[] { starts }, 1);
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6 }, batch.FlatPositions);
    }

    private static string WriteCorpus(string dir)
    {
        var path = Path.Combine(dir, "corpus.txt");
        var rng = new Random(5);
        var words = new[] { "北京", "冬奥会", "开幕式", "举行", "中国", "人民", "学生", "大学", "国家", "发展", "经济", "市场", "企业", "技术", "世界", "工作", "社会", "文化", "的", "了", "在", "是", "和", "比赛", "新闻", "体育" };
        File.WriteAllLines(path, Enumerable.Range(0, 200).Select(_ => string.Concat(Enumerable.Range(0, rng.Next(4, 12)).Select(_ => words[rng.Next(words.Length)]))));
        return path;
    }

    private static MlmPretrainingOptions Options(string outDir, string corpus, long maxSteps, Action<string> log = null) => new()
    {
        OutputDir = outDir, TrainFiles = { corpus }, VocabPath = Path.Combine(TestPaths.Fixture("tiny-ernie"), "vocab.txt"),
        Config = new ErnieConfig { HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 32, TypeVocabSize = 2, VocabSize = 10 },
        SequenceLength = 24, BatchSize = 4, GradientAccumulationSteps = 2, MaxSteps = maxSteps, LearningRate = 5e-3, WarmupSteps = 2,
        EvalSteps = 3, SaveSteps = 100, LoggingSteps = 1, HeldOutEvery = 7, EvalSequences = 4, Seed = 11, Log = log ?? (_ => { }),
        WholeWordMasking = true,
    };

    private static Dictionary<string, float[]> Weights(string modelDir) =>
        SafeTensors.Load(Path.Combine(modelDir, "model.safetensors")).ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());

    [Fact]
    public void KilledWholeWordRunResumesToTheSameWeightsAsAnUninterruptedRun()
    {
        var dir = TestPaths.NewTempDir();
        var corpus = WriteCorpus(dir);
        var fullLog = new List<string>();
        var full = new MlmPretrainer(Options(Path.Combine(dir, "full"), corpus, 6, fullLog.Add)).Run();
        Assert.Equal(6, full.Step);
        Assert.Contains(fullLog, l => l.StartsWith("whole-word masking: words from jieba", StringComparison.Ordinal));

        var resumedDir = Path.Combine(dir, "resumed");
        using var cts = new CancellationTokenSource();
        var first = new MlmPretrainer(Options(resumedDir, corpus, 6, line => { if (line.StartsWith("step 3/", StringComparison.Ordinal)) cts.Cancel(); })).Run(cts.Token);
        Assert.Equal(3, first.Step);
        var state = File.ReadAllText(Path.Combine(resumedDir, "checkpoint-3", "trainer_state.json"));
        Assert.Contains("CarryWordStarts", state);
        var log = new List<string>();
        var second = new MlmPretrainer(Options(resumedDir, corpus, 6, log.Add)).Run();
        Assert.Contains(log, l => l.Contains("resumed from") && l.Contains("checkpoint-3"));
        Assert.Equal(full.TokensSeen, second.TokensSeen);

        var a = Weights(Path.Combine(dir, "full"));
        var b = Weights(resumedDir);
        foreach (var (name, values) in a)
            Assert.True(values.Zip(b[name]).All(p => Math.Abs(p.First - p.Second) <= 1e-6), $"{name} differs after resume");
        Assert.Equal(full.HeldOutAccuracy, second.HeldOutAccuracy, 1e-6);

        // Whole-word and character-level masking train differently from the same start.
        var character = Options(Path.Combine(dir, "character"), corpus, 6);
        character.WholeWordMasking = false;
        new MlmPretrainer(character).Run();
        var c = Weights(Path.Combine(dir, "character"));
        Assert.Contains(a, kv => kv.Value.Zip(c[kv.Key]).Any(p => Math.Abs(p.First - p.Second) > 1e-6));
    }
}
