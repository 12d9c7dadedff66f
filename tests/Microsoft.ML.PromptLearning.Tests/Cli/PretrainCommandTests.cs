using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.PromptLearning.Cli;
using Microsoft.ML.PromptLearning.Ernie;

using static Microsoft.ML.PromptLearning.Tests.Cli.CliRun;

namespace Microsoft.ML.PromptLearning.Tests.Cli;

/// <summary><c>prompt-learn pretrain</c> end to end on a tiny model: output layout, metrics, automatic resume, Ctrl+C, and the error paths.</summary>
public class PretrainCommandTests
{
    /// <summary>A copy of the tiny ERNIE fixture's config.json shrunk further (1 layer, hidden 16, 32 positions) and its vocab.txt.</summary>
    private static (string Config, string Vocab, string Corpus) TinySetup(string dir)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixture("tiny-ernie"), "config.json")))!.AsObject();
        config["hidden_size"] = 16;
        config["intermediate_size"] = 32;
        config["num_attention_heads"] = 2;
        config["num_hidden_layers"] = 1;
        config["max_position_embeddings"] = 32;
        var configPath = Path.Combine(dir, "config.json");
        File.WriteAllText(configPath, config.ToJsonString());
        var vocabPath = Path.Combine(dir, "vocab.txt");
        File.Copy(Path.Combine(TestPaths.Fixture("tiny-ernie"), "vocab.txt"), vocabPath);
        var corpus = Path.Combine(dir, "data.txt");
        var rng = new Random(3);
        var words = new[] { "北京", "冬奥会", "开幕式", "举行", "中国", "人民", "学生", "大学", "国家", "发展", "经济", "市场", "企业", "的", "了", "在", "是", "和", "比赛", "体育" };
        File.WriteAllLines(corpus, Enumerable.Range(0, 120).Select(_ => string.Concat(Enumerable.Range(0, rng.Next(3, 10)).Select(_ => words[rng.Next(words.Length)]))));
        return (configPath, vocabPath, corpus);
    }

    /// <summary>Arguments for the tiny setup; <paramref name="overrides"/> are option/value pairs (or flags) that replace or add to the defaults.</summary>
    private static string[] TinyArgs(string config, string vocab, string corpus, string output, int maxSteps, params string[] overrides) =>
        Args("pretrain", new()
        {
            ("--config", config), ("--vocab", vocab), ("--train-file", corpus), ("--output-dir", output), ("--max-steps", maxSteps.ToString()),
            ("--per-device-train-batch-size", "4"), ("--max-seq-length", "24"), ("--learning-rate", "5e-3"), ("--logging-steps", "1"),
            ("--eval-steps", "2"), ("--save-steps", "2"), ("--held-out-every", "7"), ("--seed", "7"),
        }, overrides);

    [Fact]
    public void PretrainsATinyModelAndResumesWithMoreSteps()
    {
        var dir = TestPaths.NewTempDir();
        var (config, vocab, corpus) = TinySetup(dir);
        var output = Path.Combine(dir, "out");

        var (code, stdout, stderr) = Run(TinyArgs(config, vocab, corpus, output, 3));
        Assert.True(code == 0, stderr);
        Assert.Equal("", stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal(3, lines.Count(l => l.StartsWith("step ", StringComparison.Ordinal)));
        var step = lines.First(l => l.StartsWith("step 2/3 ", StringComparison.Ordinal));
        Assert.Matches(@"^step 2/3 loss \d+\.\d+ lr \S+ tokens \S+ \(\d+/s\) ETA \d\d:\d\d:\d\d$", step);   // plain lines: stdout is not a terminal
        Assert.StartsWith("done: step 3/3", lines[^1]);

        var loaded = ErnieCheckpoint.Load(output);
        Assert.Equal(16, loaded.Model.Config.HiddenSize);
        Assert.Equal(32, loaded.Model.Config.MaxPositionEmbeddings);
        Assert.Equal(File.ReadAllText(vocab), File.ReadAllText(Path.Combine(output, "vocab.txt")));
        var metrics = File.ReadAllLines(Path.Combine(output, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(new long[] { 1, 2, 3 }, metrics.Where(m => m.TryGetProperty("loss", out _)).Select(m => m.GetProperty("step").GetInt64()));
        Assert.Contains(metrics, m => m.TryGetProperty("eval_accuracy", out _));
        Assert.True(Directory.Exists(Path.Combine(output, "checkpoint-3")));

        (code, stdout, stderr) = Run(TinyArgs(config, vocab, corpus, output, 5));
        Assert.True(code == 0, stderr);
        Assert.Contains("resumed from " + Path.Combine(output, "checkpoint-3") + " at step 3", stdout);
        Assert.DoesNotContain("step 1/5", stdout);
        Assert.Contains("step 4/5", stdout);
        Assert.Contains("done: step 5/5", stdout);
        metrics = File.ReadAllLines(Path.Combine(output, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, metrics.Where(m => m.TryGetProperty("loss", out _)).Select(m => m.GetProperty("step").GetInt64()));
        Assert.Equal("5", JsonDocument.Parse(SafeTensorsMetadata(Path.Combine(output, "model.safetensors"))).RootElement.GetProperty("step").GetString());
    }

    private static string SafeTensorsMetadata(string path)
    {
        using var fs = File.OpenRead(path);
        var lengthBytes = new byte[8];
        fs.ReadExactly(lengthBytes);
        var header = new byte[BitConverter.ToInt64(lengthBytes)];
        fs.ReadExactly(header);
        return JsonDocument.Parse(header).RootElement.GetProperty("__metadata__").GetRawText();
    }

    [Fact]
    public void EmbeddingLearningRateScaleZeroFreezesTheWordEmbeddings()
    {
        var dir = TestPaths.NewTempDir();
        var (config, vocab, corpus) = TinySetup(dir);
        var first = Path.Combine(dir, "first");
        Assert.Equal(0, Run(TinyArgs(config, vocab, corpus, first, 2)).Code);
        var frozen = Path.Combine(dir, "frozen");
        var (code, _, stderr) = Run("pretrain", "--model-name-or-path", first, "--train-file", corpus, "--output-dir", frozen, "--max-steps", "3",
            "--per-device-train-batch-size", "4", "--max-seq-length", "24", "--learning-rate", "5e-3", "--embedding-lr-scale", "0");
        Assert.True(code == 0, stderr);
        float[] Tensor(string folder, string name) => SafeTensors.Load(Path.Combine(folder, "model.safetensors"))[name].data<float>().ToArray();
        Assert.Equal(Tensor(first, "ernie.embeddings.word_embeddings.weight"), Tensor(frozen, "ernie.embeddings.word_embeddings.weight"));
        Assert.NotEqual(Tensor(first, "ernie.encoder.layer.0.output.dense.weight"), Tensor(frozen, "ernie.encoder.layer.0.output.dense.weight"));
        (code, _, stderr) = Run("pretrain", "--model-name-or-path", first, "--train-file", corpus, "--output-dir", Path.Combine(dir, "bad"), "--embedding-lr-scale", "-1");
        Assert.Equal(2, code);
        Assert.Contains("--embedding-lr-scale", stderr);
    }

    [Fact]
    public void ContinuesACheckpointWithWholeWordMasking()
    {
        var dir = TestPaths.NewTempDir();
        var (_, _, corpus) = TinySetup(dir);
        var output = Path.Combine(dir, "adapted");
        var (code, stdout, stderr) = Run("pretrain", "--model-name-or-path", TestPaths.Fixture("tiny-ernie"), "--train-file", corpus, "--train-file", corpus,
            "--output-dir", output, "--max-steps", "2", "--per-device-train-batch-size", "2", "--max-seq-length", "32", "--whole-word-masking",
            "--lr-decay", "cosine", "--warmup-steps", "1", "--logging-steps", "1", "--eval-steps", "2", "--save-half");
        Assert.True(code == 0, stderr);
        Assert.Contains("whole-word masking: words from jieba", stdout);
        Assert.Contains("corpus: 2", stdout);   // the file given twice is read twice
        var adapted = ErnieCheckpoint.Load(output);
        var original = ErnieCheckpoint.Load(TestPaths.Fixture("tiny-ernie"));
        Assert.Equal(original.Model.Config.HiddenSize, adapted.Model.Config.HiddenSize);
        Assert.Contains("F16", SafeTensorsHeader(Path.Combine(output, "model.safetensors")));
    }

    private static string SafeTensorsHeader(string path)
    {
        using var fs = File.OpenRead(path);
        var lengthBytes = new byte[8];
        fs.ReadExactly(lengthBytes);
        var header = new byte[BitConverter.ToInt64(lengthBytes)];
        fs.ReadExactly(header);
        return System.Text.Encoding.UTF8.GetString(header);
    }

    [Fact]
    public void CancellationWritesACheckpointAndExitsWith130()
    {
        var dir = TestPaths.NewTempDir();
        var (config, vocab, corpus) = TinySetup(dir);
        var output = Path.Combine(dir, "out");
        using var cts = new CancellationTokenSource();
        var stdout = new CancelAfterLine("step 2/", cts);
        int code = CliApp.Run(TinyArgs(config, vocab, corpus, output, 1000, "--save-steps", "500"), stdout, new StringWriter(), cts.Token);
        Assert.Equal(130, code);
        Assert.Contains("stopped at step 2/1000", stdout.ToString());
        Assert.Contains("Run the same command again to resume", stdout.ToString());
        Assert.True(File.Exists(Path.Combine(output, "checkpoint-2", "trainer_state.json")));
    }

    /// <summary>A stdout that cancels when a line starting with a prefix is written.</summary>
    private sealed class CancelAfterLine(string prefix, CancellationTokenSource cts) : StringWriter
    {
        public override void WriteLine(string value)
        {
            base.WriteLine(value);
            if (value?.StartsWith(prefix, StringComparison.Ordinal) == true) cts.Cancel();
        }
    }

    [LinuxFact]
    public void SigintInASeparateProcessStopsWithACheckpointAndExitCode130()
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "prompt-learn.dll");
        Assert.True(File.Exists(tool), $"{tool} was not built");
        var dir = TestPaths.NewTempDir();
        var (config, vocab, corpus) = TinySetup(dir);
        var output = Path.Combine(dir, "out");
        // A shell's background jobs inherit SIGINT as ignored, and .NET (like any well-behaved program) keeps an ignored
        // SIGINT ignored; env --default-signal gives the child the default disposition whoever started the tests.
        var start = new ProcessStartInfo("env", new[] { "--default-signal=INT", "dotnet", tool }
                .Concat(TinyArgs(config, vocab, corpus, output, 100000, "--save-steps", "50000", "--eval-steps", "50000", "--threads", "1")))
            { RedirectStandardOutput = true, RedirectStandardError = true };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        var lines = new List<string>();
        try
        {
            string line;
            while ((line = process.StandardOutput.ReadLine()) is not null)
            {
                lines.Add(line);
                if (line.StartsWith("step 3/", StringComparison.Ordinal)) break;
            }
            Assert.True(line is not null, $"the process ended before step 3 after {clock.Elapsed}: {string.Join(" | ", lines)} {stderr}");
            using (var kill = Process.Start("kill", new[] { "-INT", process.Id.ToString() })!) kill.WaitForExit();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), $"the process did not stop within a minute of SIGINT ({clock.Elapsed} in all)");
            lines.AddRange(process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
        Assert.True(process.ExitCode == 130, $"exit code {process.ExitCode} after {clock.Elapsed}: {stderr}");
        var all = string.Join("\n", lines);
        Assert.Contains("interrupted: finishing the current step", all);
        var stopped = System.Text.RegularExpressions.Regex.Match(all, @"stopped at step (\d+)/100000");
        Assert.True(stopped.Success, all);
        Assert.True(File.Exists(Path.Combine(output, "checkpoint-" + stopped.Groups[1].Value, "trainer_state.json")));
    }

    [Fact]
    public void HelpListsTheCommandAndSaysItResumes()
    {
        var (code, stdout, _) = Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("pretrain", stdout);
        (code, stdout, _) = Run("pretrain", "--help");
        Assert.Equal(0, code);
        Assert.Contains("resumes from the newest complete checkpoint", stdout);
        foreach (var option in new[] { "--model-name-or-path", "--config", "--vocab", "--train-file", "--output-dir", "--max-steps", "--per-device-train-batch-size",
                     "--gradient-accumulation-steps", "--max-seq-length", "--learning-rate", "--warmup-steps", "--lr-decay", "--embedding-lr-scale", "--weight-decay", "--mask-probability",
                     "--whole-word-masking", "--eval-steps", "--save-steps", "--save-total-limit", "--logging-steps", "--held-out-every", "--seed", "--threads",
                     "--time-limit-minutes", "--char-vectors", "--char-vectors-tokens", "--save-half" })
            Assert.Contains(option, stdout);
    }

    [Fact]
    public void UsageErrors()
    {
        var dir = TestPaths.NewTempDir();
        var (config, vocab, corpus) = TinySetup(dir);
        var output = Path.Combine(dir, "out");
        var missing = Path.Combine(dir, "missing.txt");
        var model = TestPaths.Fixture("tiny-ernie");
        var cases = new (string Expected, string[] Args)[]
        {
            ("--model-name-or-path DIR", new[] { "pretrain", "--train-file", corpus, "--output-dir", output }),
            ("cannot be combined", new[] { "pretrain", "--model-name-or-path", model, "--config", config, "--vocab", vocab, "--train-file", corpus, "--output-dir", output }),
            ("--config needs --vocab", new[] { "pretrain", "--config", config, "--train-file", corpus, "--output-dir", output }),
            ($"--train-file: file '{missing}' does not exist", new[] { "pretrain", "--model-name-or-path", model, "--train-file", corpus, "--train-file", missing, "--output-dir", output }),
            ("does not exist (models are not downloaded", new[] { "pretrain", "--model-name-or-path", Path.Combine(dir, "nope"), "--train-file", corpus, "--output-dir", output }),
            ("--max-seq-length 128 exceeds the model's max_position_embeddings (32)", new[] { "pretrain", "--config", config, "--vocab", vocab, "--train-file", corpus, "--output-dir", output }),
            ("--output-dir must differ", new[] { "pretrain", "--model-name-or-path", model, "--train-file", corpus, "--output-dir", model }),
            ("--char-vectors initialises a new model", new[] { "pretrain", "--model-name-or-path", model, "--train-file", corpus, "--output-dir", output, "--char-vectors", corpus, "--char-vectors-tokens", corpus }),
            ("go together", new[] { "pretrain", "--config", config, "--vocab", vocab, "--train-file", corpus, "--output-dir", output, "--char-vectors", corpus }),
            ("Option '--train-file' is required", new[] { "pretrain", "--model-name-or-path", model, "--output-dir", output }),
            ("--max-steps must be positive", new[] { "pretrain", "--model-name-or-path", model, "--train-file", corpus, "--output-dir", output, "--max-steps", "0" }),
            ("--mask-probability must lie between 0 and 1", new[] { "pretrain", "--model-name-or-path", model, "--train-file", corpus, "--output-dir", output, "--mask-probability", "1.5" }),
            ("'sqrt'", new[] { "pretrain", "--model-name-or-path", model, "--train-file", corpus, "--output-dir", output, "--lr-decay", "sqrt" }),
            ("abc", new[] { "pretrain", "--model-name-or-path", model, "--train-file", corpus, "--output-dir", output, "--per-device-train-batch-size", "abc" }),
        };
        foreach (var (expected, args) in cases)
        {
            var (code, stdout, stderr) = Run(args);
            AssertOneLineError(CliApp.UsageError, code, stdout, stderr, expected);
        }
        Assert.False(Directory.Exists(output), "no usage error may start training");
    }

    [Fact]
    public void RuntimeErrorsAreOneLine()
    {
        var dir = TestPaths.NewTempDir();
        var (_, vocab, corpus) = TinySetup(dir);
        var badJson = Path.Combine(dir, "bad.json");
        File.WriteAllText(badJson, "{ \"hidden_size\": 16,");
        var (code, stdout, stderr) = Run("pretrain", "--config", badJson, "--vocab", vocab, "--train-file", corpus, "--output-dir", Path.Combine(dir, "o1"));
        AssertOneLineError(CliApp.RuntimeError, code, stdout, stderr, "bad.json", "not valid JSON");

        var badHeads = Path.Combine(dir, "heads.json");
        File.WriteAllText(badHeads, "{ \"hidden_size\": 16, \"num_attention_heads\": 3, \"max_position_embeddings\": 32 }");
        (code, stdout, stderr) = Run("pretrain", "--config", badHeads, "--vocab", vocab, "--train-file", corpus, "--output-dir", Path.Combine(dir, "o2"), "--max-seq-length", "16");
        AssertOneLineError(CliApp.RuntimeError, code, stdout, stderr, "num_attention_heads (3) must divide hidden_size (16)");

        var empty = Path.Combine(dir, "empty.txt");
        File.WriteAllText(empty, "\n\n");
        (code, _, stderr) = Run("pretrain", "--model-name-or-path", TestPaths.Fixture("tiny-ernie"), "--train-file", empty, "--output-dir", Path.Combine(dir, "o3"), "--max-seq-length", "32");
        Assert.Equal(CliApp.RuntimeError, code);
        Assert.Equal("prompt-learn: error: The training files contain no text.", stderr.Trim());
    }
}
