using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.ML.PromptLearning.Cli.Workflow;
using Microsoft.ML.PromptLearning.Data;
using Microsoft.ML.PromptLearning.Prompting;
using Microsoft.ML.PromptLearning.Training;
using static Microsoft.ML.PromptLearning.Cli.OptionChecks;

namespace Microsoft.ML.PromptLearning.Cli.Commands;

/// <summary>
/// <c>prompt-learn train</c>: PaddleNLP's few-shot <c>train.py</c> with the same options in kebab-case. Trains a prompt
/// classifier on <c>{data-dir}/train.txt</c> (validating on <c>dev.txt</c>), then optionally evaluates on dev, predicts
/// test and exports ONNX, writing every artefact into <c>--output-dir</c>.
/// </summary>
internal sealed partial class TrainCommand : System.CommandLine.Command
{
    private readonly Option<string> dataDir = new("--data-dir") { Description = "Data folder in PaddleNLP layout: train.txt, dev.txt, test.txt ('text<TAB>label'), label.txt ('label' or 'label==word').", Required = true, HelpName = "DIR" };
    private readonly Option<string> outputDir = new("--output-dir") { Description = "Folder for checkpoint-N/, model.zip, *_results.json, predictions, pictures and export/.", Required = true, HelpName = "DIR" };
    private readonly Option<string> modelPath = new("--model-name-or-path") { Description = "Pretrained ERNIE/BERT folder (config.json, vocab.txt, model.safetensors or pytorch_model.bin) [default: the bundled ChineseMini model]. Nothing is downloaded.", HelpName = "DIR" };
    private readonly Option<string[]> prompt = new("--prompt") { Description = "Template in PaddleNLP syntax ({'text':'text_a'}…{'mask'}) or a plain prompt such as 这条新闻标题的主题是 [default: {'soft'}{'text':'text_a'}{'mask'}]. Repeat it to give the ensemble, pet and ipet recipes several prompt teachers.", HelpName = "TEMPLATE" };
    private readonly Option<string> recipe = new("--recipe") { Description = "prompt: one prompt model. ensemble: one prompt model per --prompt (and --teachers), averaged by dev accuracy. pet: those teachers label the unlabeled texts and a --student is distilled from them (the recommended recipe when unlabeled texts exist). ipet: pet with --generations teacher generations, each retrained on the previous one's most confident pseudo-labels.", DefaultValueFactory = _ => "prompt", HelpName = "prompt|ensemble|pet|ipet" };
    private readonly Option<string> unlabeledFile = new("--unlabeled-file") { Description = "Unlabeled texts for pet/ipet, one per line: a file inside --data-dir or a path [default: data.txt of --data-dir when present].", HelpName = "FILE" };
    private readonly Option<bool> noUnlabeled = new("--no-unlabeled") { Description = "Do not pick up --data-dir's data.txt (pet and ipet then need --unlabeled-file)." };
    private readonly Option<string> teachers = new("--teachers") { Description = "Teachers of ensemble/pet/ipet: prompt models, fine-tune models, or both (each weighted by dev accuracy; weak ones left out).", DefaultValueFactory = _ => "both", HelpName = "prompt|fine-tune|both" };
    private readonly Option<double> teacherMargin = new("--teacher-selection-margin") { Description = "Leave out teachers whose dev accuracy is more than this below the best teacher's (1 keeps all).", DefaultValueFactory = _ => 0.05, HelpName = "FRACTION" };
    private readonly Option<int> teacherSeeds = new("--teacher-seeds") { Description = "Seeds per teacher (seed, seed+1, …).", DefaultValueFactory = _ => 1, HelpName = "N" };
    private readonly Option<string> student = new("--student") { Description = "The model pet/ipet distil and save: the fine-tune classifier (small, fast to score) or a prompt model with the first --prompt.", DefaultValueFactory = _ => "fine-tune", HelpName = "fine-tune|prompt" };
    private readonly Option<int> generations = new("--generations") { Description = "Teacher generations of ipet (pet has 1).", DefaultValueFactory = _ => 2, HelpName = "N" };
    private readonly Option<double> temperature = new("--temperature") { Description = "Distillation temperature of pet/ipet.", DefaultValueFactory = _ => 2.0, HelpName = "T" };
    private readonly Option<int> maxUnlabeled = new("--max-unlabeled") { Description = "Use at most N unlabeled texts (a seeded random sample).", DefaultValueFactory = _ => 4000, HelpName = "N" };
    private readonly Option<string> verbalizer = new("--verbalizer") { Description = "How label scores are read at [MASK]: soft (PaddleNLP's default for few-shot apps), manual (label-word logits), maskedlm (PaddleNLP's MaskedLMVerbalizer: one mask per label-word token; per-char is read as maskedlm).", DefaultValueFactory = _ => "soft", HelpName = "soft|manual|maskedlm" };
    private readonly Option<string> softEncoder = new("--soft-encoder") { Description = "Encoder over the template's soft tokens.", DefaultValueFactory = _ => "none", HelpName = "lstm|mlp|none" };
    private readonly Option<int?> encoderHiddenSize = new("--encoder-hidden-size") { Description = "Hidden size of --soft-encoder [default: the model's hidden size].", HelpName = "N" };
    private readonly Option<int> maxSeqLength = new("--max-seq-length") { Description = "Longest input in tokens, prompt and special tokens included; longer texts are truncated.", DefaultValueFactory = _ => 128, HelpName = "N" };
    private readonly Option<double> learningRate = new("--learning-rate") { Description = "Learning rate of the pretrained model.", DefaultValueFactory = _ => 3e-5, HelpName = "RATE" };
    private readonly Option<double> pptLearningRate = new("--ppt-learning-rate") { Description = "Learning rate of the soft prompt and verbalizer.", DefaultValueFactory = _ => 3e-4, HelpName = "RATE" };
    private readonly Option<double> weightDecay = new("--weight-decay") { Description = "AdamW weight decay (never on biases and LayerNorms).", DefaultValueFactory = _ => 0.0, HelpName = "RATE" };
    private readonly Option<int> warmupSteps = new("--warmup-steps") { Description = "Linear warmup steps before the linear decay.", HelpName = "N" };
    private readonly Option<bool> doTrain = new("--do-train") { Description = "Train on train.txt (validating on dev.txt when it exists) and save model.zip." };
    private readonly Option<bool> doEval = new("--do-eval") { Description = "Evaluate on dev.txt: eval_results.json and eval_confusion_matrix.png." };
    private readonly Option<bool> doPredict = new("--do-predict") { Description = "Predict test.txt: test_results.json, test_predictions.txt and test_confusion_matrix.png." };
    private readonly Option<bool> doExport = new("--do-export") { Description = "Export to ONNX: export/model.onnx (see --export-precision)." };
    private readonly Option<int> maxSteps = new("--max-steps") { Description = "Training steps; -1 = --num-train-epochs passes over train.txt; 0 = no training (the pretrained model scores as it is: zero-shot).", DefaultValueFactory = _ => -1, HelpName = "N" };
    private readonly Option<int> epochs = new("--num-train-epochs") { Description = "Passes over train.txt when --max-steps is -1.", DefaultValueFactory = _ => 3, HelpName = "N" };
    private readonly Option<int> evalSteps = new("--eval-steps") { Description = "Evaluate on dev.txt every N steps for early stopping and keep the best weights (0 = once per epoch).", DefaultValueFactory = _ => 100, HelpName = "N" };
    private readonly Option<int> loggingSteps = new("--logging-steps") { Description = "Log the mean training loss every N steps.", DefaultValueFactory = _ => 10, HelpName = "N" };
    private readonly Option<int> saveSteps = new("--save-steps") { Description = "Write checkpoint-N/ every N steps (0 = only at the end).", DefaultValueFactory = _ => 100, HelpName = "N" };
    private readonly Option<int> saveTotalLimit = new("--save-total-limit") { Description = "Keep at most N checkpoints (the best is also kept; 0 = keep all).", DefaultValueFactory = _ => 2, HelpName = "N" };
    private readonly Option<int> trainBatch = new("--per-device-train-batch-size") { Description = "Examples per training step.", DefaultValueFactory = _ => 8, HelpName = "N" };
    private readonly Option<int> evalBatch = new("--per-device-eval-batch-size") { Description = "Examples per forward pass when evaluating and predicting.", DefaultValueFactory = _ => 32, HelpName = "N" };
    private readonly Option<bool> useRDrop = new("--use-rdrop") { Description = "R-Drop: a second forward pass and a KL term between the two predictions." };
    private readonly Option<double> alphaRDrop = new("--alpha-rdrop") { Description = "Weight of the R-Drop term.", DefaultValueFactory = _ => 5.0, HelpName = "W" };
    private readonly Option<bool> useRgl = new("--use-rgl") { Description = "RGL: a relation-graph term that pulls examples of one label together." };
    private readonly Option<double> alphaRgl = new("--alpha-rgl") { Description = "Weight of the RGL term.", DefaultValueFactory = _ => 0.5, HelpName = "W" };
    private readonly Option<bool> freezePlm = new("--freeze-plm") { Description = "Train only the prompt and verbalizer." };
    private readonly Option<bool> freezeDropout = new("--freeze-dropout") { Description = "Freeze the pretrained model and switch its dropout off." };
    private readonly Option<int> patience = new("--early-stopping-patience") { Description = "Stop after N evaluations without improvement (0 = never).", DefaultValueFactory = _ => 4, HelpName = "N" };
    private readonly Option<int> seed = new("--seed") { Description = "Seed of initialisation, data order and dropout (same seed, same model on the CPU).", DefaultValueFactory = _ => 42, HelpName = "N" };
    private readonly Option<string> resume = new("--resume-from-checkpoint") { Description = "Continue an interrupted run from a checkpoint-N folder, or 'latest' for the newest complete one in --output-dir. Give the original options.", HelpName = "DIR|latest" };
    private readonly Option<bool> overwrite = new("--overwrite-output-dir") { Description = "Delete the checkpoints of an earlier run in --output-dir and start afresh." };
    private readonly Option<string> device = new("--device") { Description = "cpu, or gpu (CUDA device 0; fails when no GPU is usable).", DefaultValueFactory = _ => "cpu", HelpName = "cpu|gpu" };
    private readonly Option<int> threads = new("--threads") { Description = "CPU threads for TorchSharp (0 = its default).", HelpName = "N" };
    private readonly Option<string> exportPrecision = new("--export-precision") { Description = "ONNX export: fp32 (same numbers as training), int8 (smaller, faster on CPU) or fp16 (GPU).", DefaultValueFactory = _ => "fp32", HelpName = "fp32|int8|fp16" };
    private readonly Option<string> trainFile = new("--train-file") { Description = "Training split inside --data-dir.", DefaultValueFactory = _ => "train.txt", HelpName = "NAME" };
    private readonly Option<string> devFile = new("--dev-file") { Description = "Validation split inside --data-dir.", DefaultValueFactory = _ => "dev.txt", HelpName = "NAME" };
    private readonly Option<string> testFile = new("--test-file") { Description = "Test split inside --data-dir.", DefaultValueFactory = _ => "test.txt", HelpName = "NAME" };
    private readonly Option<string> task = TaskOption.Create(TaskOption.MultiClass);
    private readonly Option<bool> tuneThresholds = new("--tune-thresholds") { Description = "Multi-label and hierarchical tasks: after training, pick one threshold per label that maximises its F1 on dev.txt (default: 0.5 for every label)." };

    private readonly TextWriter stdout;
    private readonly CancellationToken externalCancellation;

    public TrainCommand(TextWriter stdout, CancellationToken cancellation)
        : base("train", "Prompt learning on a PaddleNLP data folder (PaddleNLP's few-shot train.py): --do-train, --do-eval, --do-predict, --do-export. " +
                        "Ctrl+C stops the run; --resume-from-checkpoint latest continues it exactly.")
    {
        this.stdout = stdout;
        externalCancellation = cancellation;
        verbalizer.AcceptOnlyFromAmong("soft", "manual", "maskedlm", "per-char");
        softEncoder.AcceptOnlyFromAmong("lstm", "mlp", "none");
        device.AcceptOnlyFromAmong("cpu", "gpu");
        exportPrecision.AcceptOnlyFromAmong("fp32", "int8", "fp16");
        recipe.AcceptOnlyFromAmong("prompt", "ensemble", "pet", "ipet");
        teachers.AcceptOnlyFromAmong("prompt", "fine-tune", "both");
        student.AcceptOnlyFromAmong("fine-tune", "prompt");
        Positive(teacherSeeds, generations, maxUnlabeled);
        Validate(temperature, v => v > 0, "must be positive");
        Validate(teacherMargin, v => v >= 0, "must not be negative");
        Positive(trainBatch, evalBatch, loggingSteps);
        NonNegative(epochs, evalSteps, saveSteps, saveTotalLimit, patience, threads, warmupSteps);
        Validate(maxSteps, v => v == -1 || v >= 0, "must be -1 (use --num-train-epochs) or at least 0");
        Validate(maxSeqLength, v => v >= 8, "must be at least 8");
        Validate(encoderHiddenSize, v => v is null or > 0, "must be positive");
        foreach (var rate in new[] { learningRate, pptLearningRate }) Validate(rate, v => v > 0, "must be positive");
        foreach (var w in new[] { weightDecay, alphaRDrop, alphaRgl }) Validate(w, v => v >= 0, "must not be negative");
        foreach (var o in new Option[] { dataDir, outputDir, modelPath, prompt, verbalizer, softEncoder, encoderHiddenSize, maxSeqLength, learningRate,
                     pptLearningRate, weightDecay, warmupSteps, doTrain, doEval, doPredict, doExport, maxSteps, epochs, evalSteps, loggingSteps, saveSteps,
                     saveTotalLimit, trainBatch, evalBatch, useRDrop, alphaRDrop, useRgl, alphaRgl, freezePlm, freezeDropout, patience, seed, resume,
                     overwrite, device, threads, exportPrecision, trainFile, devFile, testFile, recipe, unlabeledFile, noUnlabeled, teachers, teacherSeeds,
                     student, generations, temperature, maxUnlabeled, teacherMargin, task, tuneThresholds })
            Options.Add(o);
        SetAction(Execute);
    }

    private int Execute(ParseResult parsed)
    {
        bool train = parsed.GetValue(doTrain), eval = parsed.GetValue(doEval), predict = parsed.GetValue(doPredict), export = parsed.GetValue(doExport);
        if (!(train || eval || predict || export))
            throw new UsageException("nothing to do: give at least one of --do-train, --do-eval, --do-predict, --do-export.");
        var model = parsed.GetValue(modelPath);
        if (model is not null && !Directory.Exists(model))
            throw new UsageException(File.Exists(model)
                ? $"--model-name-or-path: '{model}' is a file; give the model folder that holds it (config.json, vocab.txt, weights)."
                : $"--model-name-or-path: folder '{model}' does not exist (models are not downloaded; give a local folder).");
        var output = CliPaths.OutputFolder("--output-dir", parsed.GetValue(outputDir));
        var folder = FewShotDataFolder.Open(CliPaths.Folder("--data-dir", parsed.GetValue(dataDir), "data folder"));
        var taskName = parsed.GetValue(task);
        if (taskName != TaskOption.MultiClass) return ExecuteMultiLabel(parsed, folder, taskName, output, train, eval, predict, export);
        // Read every split the run needs now, so a malformed file fails before any training.
        var trainRows = train ? folder.ReadLabeled(parsed.GetValue(trainFile)) : null;
        var devName = parsed.GetValue(devFile);
        var devRows = (train || eval) && folder.Has(devName) ? folder.ReadLabeled(devName) : null;
        if (eval && devRows is null) throw new UsageException($"--do-eval: '{folder.Path}' has no {devName}.");
        var testName = parsed.GetValue(testFile);
        var testRows = predict ? folder.ReadLabeled(testName) : null;
        var unlabeledTexts = train ? ReadUnlabeled(parsed, folder, testName, devName) : null;

        return Run(parsed, output, taskName, train, eval, predict, export,
            (ml, cancellation) => parsed.GetValue(recipe) == "prompt" ? Train(parsed, ml, folder, trainRows, devRows, output, cancellation)
                : TrainWithTeachers(parsed, ml, folder, trainRows, devRows, unlabeledTexts, output, cancellation),
            trained => RunSteps.Evaluate(trained, devName, devRows, "eval", output, stdout),
            (trained, predictions) =>
            {
                var test = RunSteps.Evaluate(trained, testName, testRows, "test", output, stdout);
                RunSteps.WritePredictions(predictions, test.Rows.Select(r => r.Text).ToList(), test.Predicted, test.Labels);
            });
    }

    /// <summary>
    /// A run once its data is read: trains (or loads the output folder's model), checks the model's task, then evaluates on dev,
    /// predicts test into test_predictions.txt and exports to ONNX, as asked.
    /// </summary>
    private int Run(ParseResult parsed, string output, string taskName, bool train, bool eval, bool predict, bool export,
        Func<MLContext, CancellationToken, TrainedModel> trainModel, Action<TrainedModel> evaluate, Action<TrainedModel, string> writePredictions)
    {
        var ml = CreateContext(parsed);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(externalCancellation);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { if (!cts.IsCancellationRequested) { c.Cancel = true; cts.Cancel(); } });
        var trained = TrainOrLoad(ml, output, train, cts, () => trainModel(ml, cts.Token));
        if (trained is null) return PretrainCommand.Interrupted;
        using (trained)
        {
            TaskOption.Check(trained, taskName);
            if (eval) evaluate(trained);
            if (predict)
            {
                var predictions = Path.Combine(output, RunFiles.TestPredictions);
                writePredictions(trained, predictions);
                stdout.WriteLine($"wrote {predictions}");
            }
            if (export) RunSteps.Export(trained, Path.Combine(output, RunFiles.ExportFolder), RunSteps.ParsePrecision(parsed.GetValue(exportPrecision)), stdout);
        }
        return CliApp.Success;
    }

    /// <summary>The ML.NET context of a run: its seed and device.</summary>
    private MLContext CreateContext(ParseResult parsed)
    {
        var ml = new MLContext(parsed.GetValue(seed));
        if (parsed.GetValue(device) == "gpu")
        {
            if (!TorchDevice.CudaAvailable(0))
                throw new InvalidOperationException("--device gpu: no usable CUDA device. This tool ships the CPU build of libtorch; for GPU training reference " +
                                                    "TorchSharp-cuda-linux in an application (MLContext.GpuDeviceId = 0), or use --device cpu.");
            ml.GpuDeviceId = 0;
            ml.FallbackToCpu = false;
        }
        return ml;
    }

    /// <summary>
    /// Trains with <paramref name="fit"/> (or loads the output folder's model when not training); null when Ctrl+C stopped
    /// training (the message says how to continue). A run that fails before writing anything removes the folder it created.
    /// </summary>
    private TrainedModel TrainOrLoad(MLContext ml, string output, bool train, CancellationTokenSource cts, Func<TrainedModel> fit)
    {
        bool outputExisted = Directory.Exists(output);
        var startedUtc = DateTime.UtcNow;
        try
        {
            return !train ? TrainedModel.Load(ml, output) : fit();
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            var latest = CheckpointFolders.Latest(output, ClassifierTrainingLoop.StateFile);
            stdout.WriteLine(latest is null
                ? "interrupted before the first checkpoint; run the command again to start over."
                : $"interrupted; the last complete checkpoint is {latest}. Add --resume-from-checkpoint latest to the same command to continue.");
            return null;
        }
        catch (Exception) when (!outputExisted)
        {
            RemoveIfEmpty(output);   // a run that failed before writing anything leaves no empty folder behind
            if (train) IncompleteRun.Report(output, startedUtc, stdout);
            throw;
        }
        catch (Exception) when (train)
        {
            IncompleteRun.Report(output, startedUtc, stdout);
            throw;
        }
    }

    private TrainedModel Train(ParseResult parsed, MLContext ml, FewShotDataFolder folder, List<LabeledText> trainRows, List<LabeledText> devRows, string output, CancellationToken cancellation)
    {
        var keyMap = folder.CreateLabelKeyMap(ml);
        var options = FillPromptOptions(new PromptErnieTrainer.Options(), parsed, ml, folder, keyMap, devRows, cancellation);
        return TrainPromptModel(parsed, ml, output, keyMap, options, trainRows, $"{trainRows.Count} texts ({folder.Labels.Count} labels){Validating(devRows)}", "accuracy",
            train => ml.MulticlassClassification.Trainers.PromptErnie(options).Fit(train), extraResults: null);
    }

    private static string Validating<TRow>(List<TRow> devRows) => devRows is null ? "" : $", validating on {devRows.Count}";

    /// <summary>
    /// Trains one prompt model into the output folder (resuming from --resume-from-checkpoint when given): checkpoints every
    /// --save-steps, training_log.jsonl, model.zip (label key map + model, written atomically), train_results.json (PaddleNLP's
    /// keys, the best validation <paramref name="score"/>, then <paramref name="extraResults"/>) and the training curves.
    /// </summary>
    private TrainedModel TrainPromptModel<TRow>(ParseResult parsed, MLContext ml, string output, ITransformer keyMap, PromptErnieTrainer.Options options,
        List<TRow> trainRows, string trainingSet, string score, Func<IDataView, PromptErnieTransformer> fit,
        Func<PromptErnieTransformer, IReadOnlyDictionary<string, object>> extraResults) where TRow : class
    {
        Directory.CreateDirectory(output);
        var resumeFrom = ResolveResume(parsed, output);
        var log = new TrainingLog(Path.Combine(output, RunFiles.TrainingLog));
        log.Truncate(resumeFrom is null ? 0 : CheckpointFolders.StepOf(resumeFrom));
        options.CheckpointDirectory = output;
        options.SaveSteps = parsed.GetValue(saveSteps);
        options.SaveTotalLimit = parsed.GetValue(saveTotalLimit);
        options.ResumeFromCheckpoint = resumeFrom;
        var trainData = ml.Data.LoadFromEnumerable(trainRows);
        stdout.WriteLine($"training on {trainingSet}; " +
                         $"model {options.ModelPath ?? "bundled ChineseMini"}{(resumeFrom is null ? "" : $"; resuming from {resumeFrom}")}");
        var transformer = new TrainingDisplay(stdout, score).Run(progress =>
        {
            options.Progress = p => { log.Add(p); progress(p); };
            return fit(keyMap.Transform(trainData));
        });
        var chain = keyMap.Append(transformer);
        var zip = Path.Combine(output, RunFiles.ModelZip);
        AtomicFile.Write(zip, s => ml.Model.Save(chain, trainData.Schema, s));

        var report = transformer.TrainingReport;
        var results = new Dictionary<string, object>
        {
            ["global_step"] = report.Steps,
            ["epoch"] = Math.Round(report.Steps * (double)options.BatchSize / trainRows.Count, 2),
            ["train_samples"] = trainRows.Count,
            ["train_runtime"] = Math.Round(report.TrainSeconds, 3),
            ["train_samples_per_second"] = Math.Round(report.SamplesPerSecond, 2),
            ["best_step"] = report.BestStep,
            ["best_eval_" + score.ToLowerInvariant().Replace('-', '_')] = report.BestValidationAccuracy,
            ["truncated_train_texts"] = report.TruncatedTrainingTexts,
            ["truncated_mean_dropped_share"] = Math.Round(report.MeanDroppedShare, 4),
            ["template"] = transformer.Template.ToString(),
            ["verbalizer"] = Verbalizer.KindName(transformer.Verbalizer),
            ["model_name_or_path"] = options.ModelPath ?? BundledModel.Resolve(null),
        };
        foreach (var (key, value) in extraResults?.Invoke(transformer) ?? new Dictionary<string, object>()) results[key] = value;
        RunFiles.WriteJson(Path.Combine(output, RunFiles.TrainResults), results);
        var (loss, validation) = log.Read();
        Plots.TrainingCurves(Path.Combine(output, RunFiles.TrainingCurves), loss, validation, score);
        stdout.WriteLine($"trained {report.Steps} steps in {report.TrainSeconds:F1} s ({report.SamplesPerSecond:F1} samples/s), kept step {report.BestStep}" +
                         (double.IsNaN(report.BestValidationAccuracy) ? "" : $" (dev {score} {report.BestValidationAccuracy:P2})") +
                         $"; wrote {zip}, {RunFiles.TrainResults}, {RunFiles.TrainingCurves}");
        return TrainedModel.Wrap(zip, chain);
    }

    /// <summary>
    /// The ensemble, pet and ipet recipes: teachers (prompt and/or fine-tune models) trained and weighted by dev accuracy;
    /// pet/ipet distil them into one student on the unlabeled texts. Finished models are kept in <c>self-training/</c> of the
    /// output folder, so running the same command again after an interruption continues where it stopped.
    /// </summary>
    private TrainedModel TrainWithTeachers(ParseResult parsed, MLContext ml, FewShotDataFolder folder, List<LabeledText> trainRows, List<LabeledText> devRows,
        List<string> unlabeledTexts, string output, CancellationToken cancellation)
    {
        var name = parsed.GetValue(recipe);
        if (name != "ensemble" && unlabeledTexts is null)
            throw new UsageException($"--recipe {name} needs unlabeled texts: put them in data.txt of --data-dir or give --unlabeled-file.");
        Directory.CreateDirectory(output);
        var runDir = Path.Combine(output, RunFiles.SelfTrainingFolder);
        if (parsed.GetValue(overwrite) && Directory.Exists(runDir)) Directory.Delete(runDir, recursive: true);
        if (parsed.GetValue(resume) is not null && !Directory.Exists(runDir))
            stdout.WriteLine($"no finished models in '{runDir}' yet: starting from the beginning.");
        var keyMap = folder.CreateLabelKeyMap(ml);
        var options = FillPromptOptions(new PetTrainer.Options(), parsed, ml, folder, keyMap, devRows, cancellation);
        var prompts = parsed.GetValue(prompt);
        options.Prompts = prompts is { Length: > 0 } ? prompts : null;
        options.Teachers = parsed.GetValue(teachers) switch { "prompt" => PetTeachers.Prompt, "fine-tune" => PetTeachers.FineTune, _ => PetTeachers.PromptAndFineTune };
        options.TeacherSeeds = parsed.GetValue(teacherSeeds);
        options.TeacherSelectionMargin = parsed.GetValue(teacherMargin);
        options.Student = parsed.GetValue(student) == "prompt" ? PetStudent.Prompt : PetStudent.FineTune;
        options.Generations = name == "ipet" ? parsed.GetValue(generations) : 1;
        options.Temperature = parsed.GetValue(temperature);
        options.MaxUnlabeledExamples = parsed.GetValue(maxUnlabeled);
        options.UnlabeledData = unlabeledTexts is null ? null : ml.Data.LoadFromEnumerable(unlabeledTexts.Select(t => new LabeledText { Text = t }));
        options.RunDirectory = runDir;
        var trainData = ml.Data.LoadFromEnumerable(trainRows);
        int teacherCount = options.TeacherSeeds * ((options.Teachers.HasFlag(PetTeachers.Prompt) ? options.Prompts?.Count ?? 1 : 0) + (options.Teachers.HasFlag(PetTeachers.FineTune) ? 1 : 0));
        stdout.WriteLine($"{name}: {teacherCount} teachers per generation on {trainRows.Count} texts ({folder.Labels.Count} labels)" +
                         (devRows is null ? "" : $", validating on {devRows.Count}") + (unlabeledTexts is null ? "" : $", {unlabeledTexts.Count} unlabeled texts") +
                         $"; model {options.ModelPath ?? "bundled ChineseMini"}");
        var trainer = ml.MulticlassClassification.Trainers.Pet(options);
        ClassifierTransformerBase transformer = new TrainingDisplay(stdout).Run(progress =>
        {
            options.Progress = progress;
            return name == "ensemble" ? trainer.FitEnsemble(keyMap.Transform(trainData)) : (ClassifierTransformerBase)trainer.Fit(keyMap.Transform(trainData));
        });
        var chain = keyMap.Append(transformer);
        var zip = Path.Combine(output, RunFiles.ModelZip);
        AtomicFile.Write(zip, s => ml.Model.Save(chain, trainData.Schema, s));
        var report = transformer.SelfTrainingReport;
        RunFiles.WriteJson(Path.Combine(output, RunFiles.TrainResults), new Dictionary<string, object>
        {
            ["recipe"] = name,
            ["train_samples"] = trainRows.Count,
            ["unlabeled_samples"] = report.UnlabeledRows,
            ["train_runtime"] = Math.Round(report.Seconds, 3),
            ["generations"] = report.Generations.Select(g => new Dictionary<string, object>
            {
                ["generation"] = g.Generation, ["pseudo_labelled"] = g.PseudoLabelledRows, ["ensemble_eval_accuracy"] = g.EnsembleValidationAccuracy,
                ["teachers"] = g.Teachers.Select(t => new Dictionary<string, object> { ["name"] = t.Name, ["eval_accuracy"] = t.ValidationAccuracy, ["weight"] = t.Weight }).ToList(),
            }).ToList(),
            ["student"] = name == "ensemble" ? null : parsed.GetValue(student),
            ["student_eval_accuracy"] = report.StudentValidationAccuracy,
            ["returned_teacher"] = report.ReturnedTeacher,
            ["templates"] = (IReadOnlyList<string>)options.Prompts ?? new[] { options.Prompt ?? Template.FromPrompt(null).ToString() },
            ["model_name_or_path"] = options.ModelPath ?? BundledModel.Resolve(null),
        });
        var last = report.Generations[^1];
        stdout.WriteLine($"{name}: teachers {string.Join(", ", last.Teachers.Select(t => $"{t.Name} {t.ValidationAccuracy:P1} (weight {t.Weight:F2})"))}; " +
                         $"ensemble dev accuracy {last.EnsembleValidationAccuracy:P2}" +
                         (double.IsNaN(report.StudentValidationAccuracy) ? "" : $"; {parsed.GetValue(student)} student dev accuracy {report.StudentValidationAccuracy:P2}") +
                         (report.ReturnedTeacher is null ? "" : $"; the student fell more than the teacher selection margin below the best teacher, so model.zip holds that teacher ({report.ReturnedTeacher})") +
                         $" ({report.Seconds:F0} s); wrote {zip} and {RunFiles.TrainResults}");
        return TrainedModel.Wrap(zip, chain);
    }

    /// <summary>The unlabeled texts for pet/ipet: --unlabeled-file, else data.txt of the data folder (unless --no-unlabeled); null when there are none.</summary>
    private List<string> ReadUnlabeled(ParseResult parsed, FewShotDataFolder folder, string testName, string devName)
    {
        var given = parsed.GetValue(unlabeledFile);
        List<string> texts;
        if (given is not null)
        {
            var path = File.Exists(given) ? given : Path.Combine(folder.Path, given);
            if (Directory.Exists(path)) throw new UsageException($"--unlabeled-file: '{given}' is a folder; give a file with one text per line.");
            if (!File.Exists(path)) throw new UsageException($"--unlabeled-file: '{given}' does not exist (neither as a path nor inside '{folder.Path}').");
            texts = File.ReadAllLines(path).Select(l => l.Split('\t')[0].Trim()).Where(l => l.Length > 0).ToList();
            if (texts.Count == 0) throw new UsageException($"--unlabeled-file: '{path}' has no non-empty line.");
        }
        else if (!parsed.GetValue(noUnlabeled) && folder.Has("data.txt")) texts = folder.ReadUnlabeled("data.txt");
        else return null;
        foreach (var split in new[] { testName, devName }.Where(folder.Has))
        {
            var labelled = new HashSet<string>(folder.ReadLabeled(split).Select(r => r.Text));
            int overlap = texts.Count(labelled.Contains);
            if (overlap > 0) stdout.WriteLine($"warning: {overlap} unlabeled texts are also in {split}; results on {split} will look better than they are. Remove them from the unlabeled file.");
        }
        return texts;
    }

    /// <summary>Deletes <paramref name="folder"/> when it is empty.</summary>
    private static void RemoveIfEmpty(string folder)
    {
        try
        {
            if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
        }
        catch (IOException) { }
    }

    /// <summary>The prompt options every recipe shares, from the command line.</summary>
    private T FillPromptOptions<T>(T o, ParseResult parsed, MLContext ml, FewShotDataFolder folder, ITransformer keyMap, List<LabeledText> devRows,
        CancellationToken cancellation) where T : PromptErnieTrainer.Options
    {
        var prompts = parsed.GetValue(prompt);
        o.ModelPath = parsed.GetValue(modelPath);
        o.Prompt = prompts is { Length: > 0 } ? prompts[0] : null;
        o.LabelWords = folder.LabelWords.ToDictionary(kv => kv.Key, kv => kv.Value);
        o.Verbalizer = Verbalizer.ParseKind(parsed.GetValue(verbalizer));
        o.SoftEncoder = parsed.GetValue(softEncoder) switch { "lstm" => SoftEncoderKind.Lstm, "mlp" => SoftEncoderKind.Mlp, _ => null };
        o.EncoderHiddenSize = parsed.GetValue(encoderHiddenSize);
        o.MaxSequenceLength = parsed.GetValue(maxSeqLength);
        o.LearningRate = parsed.GetValue(learningRate);
        o.PromptLearningRate = parsed.GetValue(pptLearningRate);
        o.WeightDecay = parsed.GetValue(weightDecay);
        o.WarmupSteps = parsed.GetValue(warmupSteps);
        o.MaxSteps = parsed.GetValue(maxSteps);
        o.NumberOfEpochs = parsed.GetValue(maxSteps) == 0 ? 0 : parsed.GetValue(epochs);   // --max-steps 0 means zero steps, not "use epochs"
        o.EvalSteps = parsed.GetValue(evalSteps);
        o.LoggingSteps = parsed.GetValue(loggingSteps);
        o.BatchSize = parsed.GetValue(trainBatch);
        o.EvalBatchSize = parsed.GetValue(evalBatch);
        o.UseRDrop = parsed.GetValue(useRDrop);
        o.AlphaRDrop = parsed.GetValue(alphaRDrop);
        o.UseRgl = parsed.GetValue(useRgl);
        o.AlphaRgl = parsed.GetValue(alphaRgl);
        o.FreezePlm = parsed.GetValue(freezePlm);
        o.FreezeDropout = parsed.GetValue(freezeDropout);
        o.EarlyStoppingPatience = parsed.GetValue(patience);
        o.Seed = parsed.GetValue(seed);
        o.NumberOfThreads = parsed.GetValue(threads);
        o.ValidationSet = devRows is null ? null : keyMap.Transform(ml.Data.LoadFromEnumerable(devRows));
        o.CancellationToken = cancellation;
        return o;
    }

    /// <summary>The checkpoint to continue from; refuses to mix a new run into the checkpoints of an earlier one.</summary>
    private string ResolveResume(ParseResult parsed, string output)
    {
        var requested = parsed.GetValue(resume);
        var existing = CheckpointFolders.Complete(output, ClassifierTrainingLoop.StateFile).ToList();
        if (parsed.GetValue(overwrite))
        {
            if (requested is not null) throw new UsageException("--overwrite-output-dir and --resume-from-checkpoint contradict each other.");
            foreach (var dir in Directory.EnumerateDirectories(output, CheckpointFolders.Prefix + "*")) Directory.Delete(dir, recursive: true);
            File.Delete(Path.Combine(output, RunFiles.TrainingLog));
            return null;
        }
        if (requested is null)
        {
            if (existing.Count > 0)
                throw new UsageException($"--output-dir '{output}' already holds checkpoints of an earlier run ({Path.GetFileName(existing[0])}, …). " +
                                         "Add --resume-from-checkpoint latest to continue it, or --overwrite-output-dir to start afresh.");
            return null;
        }
        if (requested == "latest")
        {
            if (existing.Count == 0) stdout.WriteLine($"no complete checkpoint in '{output}' yet: starting from step 0.");
            return existing.FirstOrDefault();
        }
        CliPaths.Folder("--resume-from-checkpoint", requested, "checkpoint folder");
        if (!File.Exists(Path.Combine(requested, ClassifierTrainingLoop.StateFile)))
            throw new UsageException($"--resume-from-checkpoint: '{requested}' is not a complete checkpoint (no {ClassifierTrainingLoop.StateFile}; it may have been interrupted while being written).");
        return requested;
    }
}
