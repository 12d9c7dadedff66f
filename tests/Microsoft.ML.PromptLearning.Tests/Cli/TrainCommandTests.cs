using System.Text.Json;
using Microsoft.ML.PromptLearning.Cli;
using static TorchSharp.torch;

using static Microsoft.ML.PromptLearning.Tests.Cli.CliRun;

namespace Microsoft.ML.PromptLearning.Tests.Cli;

/// <summary>
/// The PaddleNLP workflow through the command line on the tiny model: train → eval → predict → export → infer with every
/// artefact checked, exact resume after an interruption (ignoring a checkpoint cut off mid-write), and malformed data folders.
/// </summary>
public class TrainCommandTests
{
    /// <summary>A PaddleNLP-layout folder of the tiny task: label.txt with label words, train/dev/test splits and unlabeled data.txt.</summary>
    private static string TinyDataFolder(string root)
    {
        var dir = Path.Combine(root, "data");
        Directory.CreateDirectory(dir);
        File.WriteAllLines(Path.Combine(dir, "label.txt"), TinyTask.Labels.Select(l => $"{l}=={l}"));
        void Write(string name, IEnumerable<TinyTask.Row> rows) => File.WriteAllLines(Path.Combine(dir, name), rows.Select(r => $"{r.Text}\t{r.Label}"));
        Write("train.txt", TinyTask.Rows(12, seed: 1));
        Write("dev.txt", TinyTask.Rows(5, seed: 2));
        Write("test.txt", TinyTask.Rows(8, seed: 3));
        File.WriteAllLines(Path.Combine(dir, "data.txt"), TinyTask.Rows(6, seed: 4).Select(r => r.Text));
        return dir;
    }

    /// <summary>
    /// Train arguments: <paramref name="steps"/> steps, evaluating and saving 3 times, logging 6 times; <paramref name="extra"/> holds
    /// flags and option/value pairs that replace or add to these.
    /// </summary>
    private static string[] TrainArgs(string data, string output, int steps, params string[] extra) =>
        Args("train", new()
        {
            ("--data-dir", data), ("--output-dir", output), ("--model-name-or-path", TestPaths.Fixture("tiny-ernie")),
            ("--prompt", "{'text':'text_a'}{'hard':'主题'}{'mask'}{'mask'}"), ("--max-seq-length", "32"), ("--learning-rate", "2e-3"),
            ("--ppt-learning-rate", "1e-2"), ("--per-device-train-batch-size", "4"), ("--max-steps", $"{steps}"), ("--eval-steps", $"{steps / 3}"),
            ("--save-steps", $"{steps / 3}"), ("--logging-steps", $"{steps / 6}"), ("--seed", "5"), ("--early-stopping-patience", "0"), ("--threads", "1"),
        }, extra);

    [Fact]
    public void TrainEvalPredictExportInferWritesEveryArtefact()
    {
        using var temp = new TempDirectory();
        var data = TinyDataFolder(temp.Path);
        var output = Path.Combine(temp.Path, "out");

        var (code, stdout, stderr) = Run(TrainArgs(data, output, 60, "--do-train", "--do-eval", "--do-predict", "--do-export"));
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("eval step 20: dev accuracy", stdout);   // plain log lines when the output is not a terminal

        // checkpoints: every 20 steps, the newest 2 kept (plus the best one), each complete
        var checkpoints = Directory.GetDirectories(output, "checkpoint-*").Select(Path.GetFileName).Order().ToList();
        Assert.Contains("checkpoint-60", checkpoints);
        Assert.Contains("checkpoint-40", checkpoints);
        Assert.DoesNotContain(checkpoints, c => c!.EndsWith(".partial", StringComparison.Ordinal));
        foreach (var file in new[] { "model_state.safetensors", "optimizer.bin", "trainer_state.json", "template_config.json", "verbalizer_config.json", "verbalizer_options.json" })
            Assert.True(File.Exists(Path.Combine(output, "checkpoint-60", file)), file);
        using (var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "checkpoint-60", "trainer_state.json"))))
        {
            Assert.Equal(60, state.RootElement.GetProperty("Step").GetInt64());
            Assert.Equal(3, state.RootElement.GetProperty("History").GetArrayLength());
        }
        Assert.Contains("主题", File.ReadAllText(Path.Combine(output, "checkpoint-60", "template_config.json")));
        using (var options = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "checkpoint-60", "verbalizer_options.json"))))
            Assert.Equal("soft", options.RootElement.GetProperty("kind").GetString());

        using (var train = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "train_results.json"))))
        {
            Assert.Equal(60, train.RootElement.GetProperty("global_step").GetInt64());
            Assert.True(train.RootElement.GetProperty("train_samples_per_second").GetDouble() > 0);
            Assert.InRange(train.RootElement.GetProperty("best_eval_accuracy").GetDouble(), 0.0, 1.0);
        }
        double evalAccuracy;
        using (var eval = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "eval_results.json"))))
        {
            evalAccuracy = eval.RootElement.GetProperty("eval_accuracy").GetDouble();
            Assert.Equal(10, eval.RootElement.GetProperty("eval_samples").GetInt32());
            Assert.Equal(3, eval.RootElement.GetProperty("eval_per_class").EnumerateObject().Count());
        }
        Assert.True(evalAccuracy >= 0.8, $"the tiny task is separable; dev accuracy {evalAccuracy}");
        using (var test = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "test_results.json"))))
            Assert.Equal(16, test.RootElement.GetProperty("test_samples").GetInt32());
        var predictions = File.ReadAllLines(Path.Combine(output, "test_predictions.txt"));
        var testLines = File.ReadAllLines(Path.Combine(data, "test.txt"));
        Assert.Equal(testLines.Length, predictions.Length);
        Assert.All(predictions.Zip(testLines), p => Assert.Equal(p.Second.Split('\t')[0], p.First.Split('\t')[0]));
        Assert.All(predictions, p => Assert.Contains(p.Split('\t')[1], TinyTask.Labels));
        Assert.Equal(6 + 3, File.ReadAllLines(Path.Combine(output, "training_log.jsonl")).Length);   // 6 loss rows, 3 evaluations
        foreach (var png in new[] { "training_curves.png", "eval_confusion_matrix.png", "test_confusion_matrix.png" })
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(output, png))[..4]);
        var onnx = Path.Combine(output, "export", "model.onnx");
        Assert.True(new FileInfo(onnx).Length > 100_000);

        // stand-alone commands on the output folder
        var evalAgain = Run("eval", "--model", output, "--data-dir", data);
        Assert.Equal(0, evalAgain.Code);
        Assert.Contains($"dev.txt: accuracy {evalAccuracy:P2}", evalAgain.Out);
        var predicted = Path.Combine(temp.Path, "data-predictions.txt");
        Assert.Equal(0, Run("predict", "--model", Path.Combine(output, "model.zip"), "--data-dir", data, "--file", "data.txt", "--output", predicted).Code);
        var inferred = Path.Combine(temp.Path, "data-inferred.txt");
        var probabilities = Path.Combine(temp.Path, "data-inferred.jsonl");
        var infer = Run("infer", "--model-path-prefix", Path.Combine(output, "export", "model"), "--data-dir", data, "--batch-size", "4",
            "--output", inferred, "--probabilities", probabilities, "--profile", Path.Combine(temp.Path, "ort-profile"));
        Assert.True(infer.Code == 0, infer.Err);
        var fromFolder = Run("infer", "--model-path", Path.Combine(output, "export"), "--data-dir", data, "--output", inferred + ".2");   // the export folder: its model.onnx
        Assert.True(fromFolder.Code == 0, fromFolder.Err);
        var profile = Directory.GetFiles(temp.Path, "ort-profile*.json").Single();
        using (var trace = JsonDocument.Parse(File.ReadAllText(profile)))
            Assert.Contains(trace.RootElement.EnumerateArray(), e => e.TryGetProperty("name", out var n) && n.GetString() == "model_run");
        var dataLines = File.ReadAllLines(Path.Combine(data, "data.txt"));
        Assert.Equal(dataLines.Length, File.ReadAllLines(inferred).Length);
        Assert.Equal(File.ReadAllLines(predicted), File.ReadAllLines(inferred));   // ONNX Runtime agrees with the zip
        Assert.Equal(File.ReadAllLines(inferred), File.ReadAllLines(inferred + ".2"));
        var first = JsonDocument.Parse(File.ReadAllLines(probabilities)[0]).RootElement;
        Assert.Equal(1.0, first.GetProperty("probabilities").EnumerateObject().Sum(p => p.Value.GetDouble()), 1e-3);
        var int8 = Run("export", "--model", output, "--precision", "int8");
        Assert.True(int8.Code == 0, int8.Err);
        Assert.True(new FileInfo(Path.Combine(output, "export", "model.int8.onnx")).Length < new FileInfo(onnx).Length);
    }

    [Fact]
    public void PetRecipeDistilsTeachersOnDataTxtAndRerunReusesFinishedModels()
    {
        using var temp = new TempDirectory();
        var data = TinyDataFolder(temp.Path);
        var testText = File.ReadAllLines(Path.Combine(data, "test.txt"))[0].Split('\t')[0];
        File.AppendAllLines(Path.Combine(data, "data.txt"), new[] { testText });   // leaks a test text into the unlabeled data
        var output = Path.Combine(temp.Path, "pet");
        var args = TrainArgs(data, output, 30, "--do-train", "--do-eval", "--do-export", "--recipe", "pet",
            "--prompt", "{'text':'text_a'}{'hard':'主题'}{'mask'}{'mask'}", "--prompt", "{'soft':'主题'}{'text':'text_a'}{'mask'}");
        var (code, stdout, stderr) = Run(args);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("warning: 1 unlabeled texts are also in test.txt", stdout);
        using (var train = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "train_results.json"))))
        {
            var root = train.RootElement;
            Assert.Equal("pet", root.GetProperty("recipe").GetString());
            var trainTexts = File.ReadAllLines(Path.Combine(data, "train.txt")).Select(l => l.Split('\t')[0]).ToHashSet();
            int usable = File.ReadAllLines(Path.Combine(data, "data.txt")).Distinct().Count(t => !trainTexts.Contains(t));
            Assert.Equal(usable, root.GetProperty("unlabeled_samples").GetInt32());   // without duplicates and training texts
            var teachers = root.GetProperty("generations")[0].GetProperty("teachers").EnumerateArray().ToList();
            Assert.Equal(new[] { "prompt 0 seed 5", "prompt 1 seed 5", "fine-tune seed 5" }, teachers.Select(t => t.GetProperty("name").GetString()));
            Assert.Equal(1.0, teachers.Sum(t => t.GetProperty("weight").GetDouble()), 1e-9);
            Assert.InRange(root.GetProperty("student_eval_accuracy").GetDouble(), 0.0, 1.0);
        }
        Assert.True(File.Exists(Path.Combine(output, "export", "model.onnx")), "the fine-tune student exports as one graph");
        var zips = Directory.GetFiles(Path.Combine(output, "self-training"), "*.zip");
        Assert.Equal(4, zips.Length);   // three teachers and the student
        var times = zips.ToDictionary(z => z, File.GetLastWriteTimeUtc);
        double Eval() { using var e = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "eval_results.json"))); return e.RootElement.GetProperty("eval_accuracy").GetDouble(); }
        var eval = Eval();

        var again = Run(args);   // the same command again: every model is found finished
        Assert.True(again.Code == 0, again.Err + again.Out);
        foreach (var (zip, time) in times) Assert.Equal(time, File.GetLastWriteTimeUtc(zip));
        Assert.Equal(eval, Eval());

        var noUnlabeled = Run(TrainArgs(data, Path.Combine(temp.Path, "none"), 30, "--do-train", "--recipe", "pet", "--no-unlabeled"));
        Assert.Equal(2, noUnlabeled.Code);
        Assert.Contains("--recipe pet needs unlabeled texts", noUnlabeled.Err);
    }

    [Fact]
    public void ARunThatFailsBeforeWritingAnythingLeavesNoOutputFolder()
    {
        using var temp = new TempDirectory();
        var data = TinyDataFolder(temp.Path);
        File.WriteAllLines(Path.Combine(data, "label.txt"), new[] { "教育==教育", "经济==𠀾济", "体育==体育" });   // a label word the model cannot predict
        var output = Path.Combine(temp.Path, "never");
        var (code, stdout, stderr) = Run(TrainArgs(data, output, 30, "--do-train"));
        Assert.Equal(1, code);
        Assert.Contains("𠀾济", stderr);
        Assert.False(Directory.Exists(output), string.Join(", ", Directory.Exists(output) ? Directory.GetFileSystemEntries(output) : []));
    }

    [Fact]
    public void ARunThatFailsMidwaySaysItsOutputIsIncompleteAndLeavesNothingHalfWritten()
    {
        using var temp = new TempDirectory();
        var data = TinyDataFolder(temp.Path);
        var output = Path.Combine(temp.Path, "out");
        Directory.CreateDirectory(output);
        var blocker = Path.Combine(output, "checkpoint-8.partial");
        File.WriteAllText(blocker, "");   // a file where the second checkpoint's folder must go: writing it fails, as on a full disk
        var (code, stdout, stderr) = Run(TrainArgs(data, output, 12, "--do-train"));
        Assert.True(code == 1, stderr + stdout);
        Assert.Contains($"so '{output}' is incomplete; the last complete checkpoint is {Path.Combine(output, "checkpoint-4")}: fix the cause and add " +
                        "--resume-from-checkpoint latest to continue.", stdout);
        Assert.False(File.Exists(Path.Combine(output, "model.zip")));
        Assert.Empty(Directory.GetFiles(output, "*.tmp", SearchOption.AllDirectories));   // no temporary file of an atomic write is left
        File.Delete(blocker);
        var resumed = Run(TrainArgs(data, output, 12, "--do-train", "--resume-from-checkpoint", "latest"));
        Assert.True(resumed.Code == 0, resumed.Err + resumed.Out);
        Assert.True(File.Exists(Path.Combine(output, "model.zip")));
    }

    [Fact]
    public void MaxStepsZeroMeansNoTraining()
    {
        using var temp = new TempDirectory();
        var data = TinyDataFolder(temp.Path);
        var output = Path.Combine(temp.Path, "zero");
        var (code, stdout, stderr) = Run(TrainArgs(data, output, 30, "--do-train", "--do-eval", "--max-steps", "0", "--verbalizer", "manual",
            "--prompt", "{'text':'text_a'}这是{'mask'}{'mask'}"));
        Assert.True(code == 0, stderr + stdout);
        using var train = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "train_results.json")));
        Assert.Equal(0, train.RootElement.GetProperty("global_step").GetInt64());
        Assert.Empty(Directory.GetDirectories(output, "checkpoint-*"));
    }

    [Fact]
    public void EnsembleRecipeExportsEveryMemberAndTheCombiner()
    {
        using var temp = new TempDirectory();
        var data = TinyDataFolder(temp.Path);
        var output = Path.Combine(temp.Path, "ensemble");
        var (code, stdout, stderr) = Run(TrainArgs(data, output, 30, "--do-train", "--do-predict", "--do-export", "--recipe", "ensemble", "--teachers", "prompt", "--teacher-selection-margin", "1",
            "--prompt", "{'text':'text_a'}{'hard':'主题'}{'mask'}{'mask'}", "--prompt", "{'soft':'主题'}{'text':'text_a'}{'mask'}"));
        Assert.True(code == 0, stderr + stdout);
        var export = Path.Combine(output, "export");
        Assert.True(File.Exists(Path.Combine(export, "member000.onnx")) && File.Exists(Path.Combine(export, "member001.onnx")), stdout);
        using var ensemble = new Microsoft.ML.PromptLearning.Onnx.OnnxEnsemble(export);
        var texts = File.ReadAllLines(Path.Combine(data, "test.txt")).Select(l => l.Split('\t')[0]).ToList();
        var onnxLabels = ensemble.PredictProbabilities(texts).Select(p => ensemble.Labels[global::Microsoft.ML.PromptLearning.Inference.Probabilities.ArgMax(p)]);
        Assert.Equal(File.ReadAllLines(Path.Combine(output, "test_predictions.txt")).Select(l => l.Split('\t')[1]), onnxLabels);
    }

    [Fact]
    public void InterruptedRunResumesExactlyAndIgnoresACheckpointCutOffMidWrite()
    {
        using var temp = new TempDirectory();
        var data = TinyDataFolder(temp.Path);
        var straight = Path.Combine(temp.Path, "straight");
        var resumed = Path.Combine(temp.Path, "resumed");
        Assert.Equal(0, Run(TrainArgs(data, straight, 12, "--do-train", "--do-eval")).Code);

        // Stop the second run as soon as checkpoint-4 is written (what a kill between steps leaves behind)...
        using var cts = new CancellationTokenSource();
        var watcher = new LineWatcher(line => { if (line.Contains("checkpoint-4", StringComparison.Ordinal)) cts.Cancel(); });
        var interrupted = Run(cts.Token, watcher, TrainArgs(data, resumed, 12, "--do-train", "--do-eval"));
        Assert.True(interrupted.Code == 130, interrupted.Out);
        Assert.Contains("--resume-from-checkpoint latest", interrupted.Out);
        Assert.False(File.Exists(Path.Combine(resumed, "model.zip")));
        // ...then fake a kill in the middle of writing checkpoint-8: a partial folder, and a folder whose state file never landed.
        CopyDirectory(Path.Combine(resumed, "checkpoint-4"), Path.Combine(resumed, "checkpoint-8.partial"));
        CopyDirectory(Path.Combine(resumed, "checkpoint-4"), Path.Combine(resumed, "checkpoint-8"));
        File.Delete(Path.Combine(resumed, "checkpoint-8", "trainer_state.json"));
        using (var f = File.Open(Path.Combine(resumed, "checkpoint-8", "model_state.safetensors"), FileMode.Open)) f.SetLength(f.Length / 2);

        var again = Run(TrainArgs(data, resumed, 12, "--do-train", "--do-eval"));
        Assert.Equal(2, again.Code);   // refuses to mix a new run into old checkpoints
        Assert.Contains("--resume-from-checkpoint latest", again.Err);
        var resume = Run(TrainArgs(data, resumed, 12, "--do-train", "--do-eval", "--resume-from-checkpoint", "latest"));
        Assert.True(resume.Code == 0, resume.Err + resume.Out);
        Assert.Contains($"resuming from {Path.Combine(resumed, "checkpoint-4")}", resume.Out);

        foreach (var file in new[] { "model_state.safetensors", "best_model_state.safetensors" })
        {
            AssertSameTensors(Path.Combine(straight, "checkpoint-12", file), Path.Combine(resumed, "checkpoint-12", file));
            Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "checkpoint-12", file)), File.ReadAllBytes(Path.Combine(resumed, "checkpoint-12", file)));   // byte for byte
        }
        Assert.Equal(ZipEntries.Hashes(Path.Combine(straight, "model.zip")), ZipEntries.Hashes(Path.Combine(resumed, "model.zip")));   // the final model too
        Assert.Equal(File.ReadAllText(Path.Combine(straight, "eval_results.json")).Split("_runtime")[0],
                     File.ReadAllText(Path.Combine(resumed, "eval_results.json")).Split("_runtime")[0]);
        Assert.Equal(LogWithoutSpeed(straight), LogWithoutSpeed(resumed));
        using var a = JsonDocument.Parse(File.ReadAllText(Path.Combine(straight, "checkpoint-12", "trainer_state.json")));
        using var b = JsonDocument.Parse(File.ReadAllText(Path.Combine(resumed, "checkpoint-12", "trainer_state.json")));
        Assert.Equal(a.RootElement.GetProperty("History").GetRawText(), b.RootElement.GetProperty("History").GetRawText());
        Assert.Equal(a.RootElement.GetProperty("Samples").GetInt64(), b.RootElement.GetProperty("Samples").GetInt64());
    }

    [Fact]
    public void ProcessKilledMidRunResumesToTheSameWeights()
    {
        using var temp = new TempDirectory();
        var data = TinyDataFolder(temp.Path);
        var straight = Path.Combine(temp.Path, "straight");
        var killed = Path.Combine(temp.Path, "killed");
        const int steps = 240;   // long enough that the kill lands mid-run
        string[] Args(string output, params string[] extra) =>
            TrainArgs(data, output, steps, new[] { "--do-train", "--save-steps", "8", "--save-total-limit", "3" }.Concat(extra).ToArray());
        Assert.Equal(0, Run(Args(straight)).Code);

        // A separate prompt-learn process, killed with SIGKILL as soon as its second checkpoint is on disk.
        var cli = Path.Combine(AppContext.BaseDirectory, "prompt-learn.dll");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", new[] { cli }.Concat(Args(killed)))
            { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["OMP_NUM_THREADS"] = "1";
        using (var process = System.Diagnostics.Process.Start(start)!)
        {
            string line;
            while ((line = process.StandardOutput.ReadLine()) is not null && !line.Contains("checkpoint-16", StringComparison.Ordinal)) { }
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.NotEqual(0, process.ExitCode);
        }
        long lastStep = Directory.GetDirectories(killed, "checkpoint-*").Select(d => long.TryParse(Path.GetFileName(d)["checkpoint-".Length..], out var n) ? n : 0).Max();
        Assert.True(lastStep < steps, "the process finished before it was killed");
        Assert.False(File.Exists(Path.Combine(killed, "model.zip")));

        var resume = Run(Args(killed, "--resume-from-checkpoint", "latest"));
        Assert.True(resume.Code == 0, resume.Err + resume.Out);
        Assert.Contains("resuming from", resume.Out);
        foreach (var file in new[] { "model_state.safetensors", "best_model_state.safetensors" })
        {
            AssertSameTensors(Path.Combine(straight, $"checkpoint-{steps}", file), Path.Combine(killed, $"checkpoint-{steps}", file));
            Assert.Equal(File.ReadAllBytes(Path.Combine(straight, $"checkpoint-{steps}", file)), File.ReadAllBytes(Path.Combine(killed, $"checkpoint-{steps}", file)));
        }
        Assert.Equal(ZipEntries.Hashes(Path.Combine(straight, "model.zip")), ZipEntries.Hashes(Path.Combine(killed, "model.zip")));
        Assert.Equal(LogWithoutSpeed(straight), LogWithoutSpeed(killed));
    }

    [Theory]
    [InlineData("train.txt", "好的学生\t教育\nno tab on this line\n", "train.txt:2: expected 'text<TAB>label'")]
    [InlineData("train.txt", "学生教育\t教育\n市场经济\t军事\n", "train.txt:2: label '军事' is not in label.txt")]
    [InlineData("train.txt", "", "train.txt has no examples")]
    [InlineData("label.txt", "教育\n==经济\n", "label.txt:2: expected 'label' or 'label==word'")]
    [InlineData("dev.txt", "学生\t教育\n\t经济\n", "dev.txt:2: the text is empty")]
    public void MalformedDataFolderFailsWithFileAndLine(string file, string content, string expected)
    {
        using var temp = new TempDirectory();
        var data = TinyDataFolder(temp.Path);
        File.WriteAllText(Path.Combine(data, file), content);
        var (code, stdout, stderr) = Run(TrainArgs(data, Path.Combine(temp.Path, "out"), 12, "--do-train"));
        Assert.Equal(1, code);
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("   at ", stderr);   // no stack trace
        Assert.False(Directory.Exists(Path.Combine(temp.Path, "out", "checkpoint-4")));
    }

    [Fact]
    public void InvalidUtf8AndMissingFoldersAreReported()
    {
        using var temp = new TempDirectory();
        var data = TinyDataFolder(temp.Path);
        File.WriteAllBytes(Path.Combine(data, "train.txt"), new byte[] { 0xE5, 0xAD, 0xA6, 0x09, 0xFF, 0xFE, 0x0A });
        var bad = Run(TrainArgs(data, Path.Combine(temp.Path, "out"), 12, "--do-train"));
        Assert.Equal(1, bad.Code);
        Assert.Contains("train.txt:1: not valid UTF-8", bad.Err);

        var missing = Run("eval", "--model", Path.Combine(temp.Path, "nothing-here"), "--data-dir", data);
        Assert.Equal(2, missing.Code);
        Assert.Contains("does not exist", missing.Err);
        var nothingToDo = Run("train", "--data-dir", data, "--output-dir", Path.Combine(temp.Path, "out"));
        Assert.Equal(2, nothingToDo.Code);
        Assert.Contains("--do-train", nothingToDo.Err);
    }

    [WithoutCudaFact]
    public void GpuAskedForWithoutOneFailsClearly()
    {
        using var temp = new TempDirectory();
        var data = TinyDataFolder(temp.Path);
        var (code, _, stderr) = Run(TrainArgs(data, Path.Combine(temp.Path, "out"), 12, "--do-train", "--device", "gpu"));
        Assert.Equal(1, code);
        Assert.Contains("--device gpu: no usable CUDA device", stderr);
        Assert.False(Directory.Exists(Path.Combine(temp.Path, "out", "checkpoint-4")));
    }

    [Fact]
    public void HelpExplainsThePaddleNlpOptions()
    {
        var (code, stdout, _) = Run("train", "--help");
        Assert.Equal(0, code);
        foreach (var option in new[] { "--data-dir", "--output-dir", "--prompt", "--soft-encoder", "--encoder-hidden-size", "--max-seq-length", "--learning-rate",
                     "--ppt-learning-rate", "--do-train", "--do-eval", "--do-predict", "--do-export", "--max-steps", "--num-train-epochs", "--eval-steps",
                     "--logging-steps", "--save-steps", "--per-device-train-batch-size", "--per-device-eval-batch-size", "--use-rdrop", "--alpha-rdrop",
                     "--use-rgl", "--alpha-rgl", "--freeze-plm", "--freeze-dropout", "--early-stopping-patience", "--seed", "--model-name-or-path",
                     "--resume-from-checkpoint", "--device" })
            Assert.Contains(option, stdout);
    }

    private static List<string> LogWithoutSpeed(string output) =>
        File.ReadAllLines(Path.Combine(output, "training_log.jsonl")).Select(l => System.Text.RegularExpressions.Regex.Replace(l, "\"samples_per_second\":[^,}]*", "")).ToList();

    private static void AssertSameTensors(string expectedPath, string actualPath)
    {
        var expected = SafeTensors.Load(expectedPath);
        var actual = SafeTensors.Load(actualPath);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, t) in expected)
            Assert.True(t.sub(actual[name]).abs().max().item<float>() <= 1e-6f, $"{Path.GetFileName(expectedPath)}: {name} differs");
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    /// <summary>A StringWriter that calls back with every complete line.</summary>
    private sealed class LineWatcher(Action<string> onLine) : StringWriter
    {
        public override void WriteLine(string value)
        {
            base.WriteLine(value);
            onLine(value ?? "");
        }
    }
}
