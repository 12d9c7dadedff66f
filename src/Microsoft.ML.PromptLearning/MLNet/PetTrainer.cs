using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.MLNet;
using Microsoft.ML.PromptLearning.SelfTraining;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.PromptLearning;

/// <summary>Which models teach in a self-training run.</summary>
[Flags]
public enum PetTeachers
{
    /// <summary>Prompt models: one per template in <see cref="PetTrainer.Options.Prompts"/> and seed.</summary>
    Prompt = 1,
    /// <summary>Fine-tune models (one per seed): the candidates that keep the recipe from falling below fine-tuning when the prompts are weak.</summary>
    FineTune = 2,
    /// <summary>Both kinds; each teacher is weighted (and kept or left out) by its validation accuracy.</summary>
    PromptAndFineTune = Prompt | FineTune,
}

/// <summary>The model that a self-training run distils its teachers into, and ships.</summary>
public enum PetStudent
{
    /// <summary>The fine-tune classifier (PET's choice: small and fast to score).</summary>
    FineTune,
    /// <summary>A prompt model with the first template.</summary>
    Prompt,
}

/// <summary>
/// Few-shot learning that turns unlabeled text into accuracy (PET / iPET, Schick &amp; Schütze 2021): several teachers (prompt
/// models that differ in template and seed, and fine-tune models) are trained on the labelled data, weighted by validation
/// accuracy and averaged; with <see cref="Options.Generations"/> &gt; 1 each further generation is retrained on the labelled
/// data plus a growing set of the ensemble's most confident pseudo-labels (iPET); finally the ensemble labels the unlabeled
/// texts with temperature-scaled soft labels and one student model is trained on them and the labelled data
/// (distillation). The student is what <see cref="Fit"/> returns; <see cref="FitEnsemble"/> returns the teachers instead.
/// </summary>
/// <remarks>
/// Teachers and students are ordinary <see cref="PromptErnieTrainer"/> and <see cref="ErnieTextClassificationTrainer"/> runs,
/// so every option of <see cref="PromptErnieTrainer.Options"/> applies to them. With <see cref="Options.RunDirectory"/> each
/// finished model is saved there (atomically) under a name derived from its options and data, so an interrupted run
/// continues with the models it had finished, and runs that share teachers train them once.
/// </remarks>
public sealed class PetTrainer : IEstimator<ErnieClassifierTransformerBase>
{
    /// <summary>Options of the self-training recipes; the inherited prompt options configure every model it trains.</summary>
    public sealed class Options : PromptErnieTrainer.Options
    {
        /// <summary>
        /// Unlabeled texts (the same text column(s) as the training data; a label column is not read), e.g. PaddleNLP's <c>data.txt</c>.
        /// Needed by <see cref="Fit"/> (distillation) and by iPET; <see cref="FitEnsemble"/> with one generation trains without it.
        /// </summary>
        public IDataView UnlabeledData;

        /// <summary>The prompt teachers' templates (PaddleNLP syntax or bare prompts); null = the single <see cref="PromptErnieTrainer.Options.Prompt"/>.</summary>
        public IList<string> Prompts;

        /// <summary>Seeds per teacher (PET trains each pattern with several seeds): seed <c>Seed + k</c> for k = 0..N-1.</summary>
        public int TeacherSeeds = 1;

        /// <summary>Which models teach.</summary>
        public PetTeachers Teachers = PetTeachers.PromptAndFineTune;

        /// <summary>Pooling of the fine-tune teachers and student.</summary>
        public FineTunePooling FineTunePooling = FineTunePooling.Auto;

        /// <summary>How the teachers' probabilities are averaged.</summary>
        public EnsembleWeighting Weighting = EnsembleWeighting.ValidationAccuracy;

        /// <summary>
        /// Leave out teachers whose validation accuracy is more than this below the best teacher's (∞ keeps all); and when the
        /// distilled student ends up more than this below the best teacher, <see cref="Fit"/> returns that teacher instead.
        /// </summary>
        public double TeacherSelectionMargin = 0.05;

        /// <summary>Teacher generations: 1 = PET; more = iPET, each generation retrained with the previous one's pseudo-labels.</summary>
        public int Generations = 1;

        /// <summary>iPET: pseudo-labelled texts per class (on average; split like the training set's labels) in the second generation.</summary>
        public int PseudoLabelsPerClass = 100;

        /// <summary>iPET: factor by which the pseudo-labelled set grows from one generation to the next.</summary>
        public double PseudoLabelGrowth = 2.0;

        /// <summary>At most this many unlabeled texts are used (a seeded random sample of the rest is dropped).</summary>
        public int MaxUnlabeledExamples = 4000;

        /// <summary>Distillation temperature T: soft labels <c>∝ p^(1/T)</c> and the student's logits divided by T (PET uses 2).</summary>
        public double Temperature = 2.0;

        /// <summary>The model that is distilled and returned by <see cref="Fit"/>.</summary>
        public PetStudent Student = PetStudent.FineTune;

        /// <summary>Distillation passes over the labelled plus unlabeled texts (when <see cref="DistillationMaxSteps"/> is not set).</summary>
        public int DistillationEpochs = 2;

        /// <summary>Distillation steps; not positive = <see cref="DistillationEpochs"/> epochs.</summary>
        public int DistillationMaxSteps = -1;

        /// <summary>Folder where every finished teacher and student is saved and found again on a rerun (resume after a kill); null = none.</summary>
        public string RunDirectory;
    }

    private readonly IHostEnvironment env;
    private readonly IHost host;
    private readonly Options options;

    internal PetTrainer(IHostEnvironment env, Options options)
    {
        this.env = env;
        host = env.Register(nameof(PetTrainer));
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        TrainerCore.CheckOptions(host, options);
        host.CheckUserArg(options.LabelWords is not null || options.LabelFile is not null || options.Teachers == PetTeachers.FineTune && options.Student == PetStudent.FineTune,
            nameof(options.LabelWords), "give label words (a dictionary label → words) or a PaddleNLP label.txt (LabelFile) for the prompt models");
        host.CheckUserArg(options.UnlabeledData is not null || options.Generations == 1, nameof(options.UnlabeledData), "iPET (Generations > 1) needs unlabeled texts (e.g. PaddleNLP's data.txt)");
        host.CheckUserArg(Enum.IsDefined(options.Teachers) && options.Teachers != 0, nameof(options.Teachers), "choose Prompt, FineTune or PromptAndFineTune");
        host.CheckUserArg(options.Prompts is null || options.Prompts.Count > 0, nameof(options.Prompts), "give at least one template, or null for the single Prompt");
        host.CheckUserArg(options.TeacherSeeds >= 1, nameof(options.TeacherSeeds), "must be at least 1");
        host.CheckUserArg(options.Generations >= 1, nameof(options.Generations), "must be at least 1 (1 = PET, more = iPET)");
        host.CheckUserArg(options.PseudoLabelsPerClass >= 1, nameof(options.PseudoLabelsPerClass), "must be at least 1");
        host.CheckUserArg(options.PseudoLabelGrowth >= 1, nameof(options.PseudoLabelGrowth), "must be at least 1");
        host.CheckUserArg(options.MaxUnlabeledExamples >= 1, nameof(options.MaxUnlabeledExamples), "must be at least 1");
        host.CheckUserArg(options.Temperature > 0, nameof(options.Temperature), "must be positive");
        host.CheckUserArg(options.TeacherSelectionMargin >= 0, nameof(options.TeacherSelectionMargin), "must not be negative");
        host.CheckUserArg(options.DistillationEpochs >= 1 || options.DistillationMaxSteps > 0, nameof(options.DistillationEpochs), "must be at least 1");
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var label = InputColumns.CheckTrainingSchema(host, inputSchema, options);
        return ScoreSchema.OutputShape(inputSchema, label, options.PredictedLabelColumnName, options.ScoreColumnName);
    }

    /// <summary>Trains the teachers (every generation) and distils them into the student, which is returned.</summary>
    public ErnieClassifierTransformerBase Fit(IDataView input)
    {
        host.CheckUserArg(options.UnlabeledData is not null, nameof(options.UnlabeledData), "distillation needs unlabeled texts (e.g. PaddleNLP's data.txt); FitEnsemble trains the teachers without them");
        var run = new Run(this, input);
        var ensemble = run.Teachers();
        var student = run.Distil(ensemble);
        var result = run.KeepStudentOrBestTeacher(student, ensemble);
        result.SelfTrainingReport = run.Report(student);
        return result;
    }

    /// <summary>Trains the teachers (every generation) and returns the last generation's weighted ensemble, without distillation.</summary>
    public ErnieEnsembleTransformer FitEnsemble(IDataView input)
    {
        var run = new Run(this, input);
        var ensemble = run.Teachers();
        ensemble.SelfTrainingReport = run.Report(null);
        return ensemble;
    }

    /// <summary>The state of one call to <see cref="Fit"/> or <see cref="FitEnsemble"/>.</summary>
    private sealed class Run
    {
        private readonly PetTrainer trainer;
        private readonly Options o;
        private readonly IDataView input;
        private readonly string[] labelNames;
        private readonly List<TextRow> train, validation, unlabeled;
        private readonly string dataFingerprint;
        private readonly List<GenerationReport> generations = new();
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private double studentValidationAccuracy = double.NaN;
        private string returnedTeacher;

        public Run(PetTrainer trainer, IDataView input)
        {
            this.trainer = trainer;
            o = trainer.options;
            this.input = input;
            var host = trainer.host;
            host.CheckValue(input, nameof(input));
            trainer.GetOutputSchema(SchemaShape.Create(input.Schema));
            labelNames = InputColumns.LabelNames(input.Schema[o.LabelColumnName]);
            using var ch = host.Start("Reading data");
            train = TrainerCore.ReadLabelled(host, ch, input, o, "training");
            if (o.ValidationSet is not null)
            {
                TrainerCore.CheckValidationSchema(host, o.ValidationSet, o, labelNames.Length);
                validation = TrainerCore.ReadLabelled(host, ch, o.ValidationSet, o, "validation");
            }
            else ch.Warning("No validation set: teachers are weighted equally, none is left out, and no model stops early. Give ValidationSet for PET's weighting.");
            unlabeled = o.UnlabeledData is null ? new List<TextRow>() : ReadUnlabeled(host, ch);
            dataFingerprint = Fingerprint(string.Join("\n", train.Select(r => $"{r.Text}\t{r.TextPair}\t{r.Label}")) + "\n--\n" +
                string.Join("\n", (validation ?? new()).Select(r => $"{r.Text}\t{r.TextPair}\t{r.Label}")) + "\n--\n" + string.Join("\n", labelNames));
        }

        private List<TextRow> ReadUnlabeled(IHost host, IChannel ch)
        {
            var data = o.UnlabeledData;
            InputColumns.CheckScoringSchema(host, data.Schema, o.TextColumnName, o.TextPairColumnName);
            var rows = InputColumns.Read(data, o.TextColumnName, o.TextPairColumnName, null, host.CheckAlive);
            if (rows.Count == 0) throw host.Except("UnlabeledData has no rows; give the unlabeled texts (e.g. PaddleNLP's data.txt), one per row.");
            var labelled = new HashSet<string>(train.Select(r => r.Text + "\u0001" + r.TextPair));
            var seen = new HashSet<string>();
            var kept = rows.Where(r => !string.IsNullOrWhiteSpace(r.Text) && !labelled.Contains(r.Text + "\u0001" + r.TextPair) && seen.Add(r.Text + "\u0001" + r.TextPair)).ToList();
            if (kept.Count == 0) throw host.Except($"UnlabeledData has {rows.Count} rows but none is usable (all are empty, duplicates or training texts).");
            if (kept.Count < rows.Count) ch.Info($"unlabeled data: {rows.Count - kept.Count} of {rows.Count} rows dropped (empty, duplicate or also in the training data)");
            if (validation is not null)
            {
                var val = new HashSet<string>(validation.Select(r => r.Text + "\u0001" + r.TextPair));
                int overlap = kept.Count(r => val.Contains(r.Text + "\u0001" + r.TextPair));
                if (overlap > 0) ch.Warning($"{overlap} unlabeled texts are also in the validation set: teacher weights and early stopping will look better than they are. Remove them from the unlabeled data.");
            }
            if (kept.Count > o.MaxUnlabeledExamples)
            {
                var rng = new Random(o.Seed);
                kept = kept.Select(r => (r, k: rng.Next())).OrderBy(x => x.k).Take(o.MaxUnlabeledExamples).Select(x => x.r).ToList();
                ch.Info($"unlabeled data: a random {o.MaxUnlabeledExamples} of the usable texts are used (MaxUnlabeledExamples)");
            }
            return kept;
        }

        /// <summary>Trains every generation of teachers and returns the last one as a weighted ensemble (teachers left out are disposed).</summary>
        public ErnieEnsembleTransformer Teachers()
        {
            AdditionalTrainingRows pseudo = null;
            ErnieEnsembleTransformer ensemble = null;
            for (int g = 0; g < o.Generations; g++)
            {
                if (g > 0)
                {
                    var probabilities = ensemble.Score(unlabeled);
                    var counts = TrainingCounts();
                    int total = (int)Math.Min(unlabeled.Count, Math.Round(o.PseudoLabelsPerClass * counts.Count(c => c > 0) * Math.Pow(o.PseudoLabelGrowth, g - 1)));
                    var chosen = PseudoLabelSelection.Select(probabilities, PseudoLabelSelection.Quotas(counts, total));
                    pseudo = new AdditionalTrainingRows(chosen.Select(c => unlabeled[c.Index] with { Label = c.Label }).ToList(), null, 1.0);
                    ensemble.Dispose();
                }
                ensemble = Generation(g, pseudo);
            }
            return ensemble;
        }

        private int[] TrainingCounts()
        {
            var counts = new int[labelNames.Length];
            foreach (var r in train) counts[r.Label]++;
            return counts;
        }

        private ErnieEnsembleTransformer Generation(int g, AdditionalTrainingRows pseudo)
        {
            var jobs = new List<(string Name, Func<ErnieClassifierTransformerBase> Train, string Key)>();
            var prompts = o.Prompts ?? new[] { o.Prompt };
            for (int s = 0; s < o.TeacherSeeds; s++)
            {
                int seed = o.Seed + s + 1000 * g;
                if (o.Teachers.HasFlag(PetTeachers.Prompt))
                    for (int p = 0; p < prompts.Count; p++)
                    {
                        var po = PromptOptions(prompts[p], seed, o.MaxSteps);
                        jobs.Add(($"prompt {p} seed {seed}", () => new PromptErnieTrainer(trainer.env, po) { AdditionalRows = pseudo }.Fit(input), Key("prompt", po, pseudo)));
                    }
                if (o.Teachers.HasFlag(PetTeachers.FineTune))
                {
                    var fo = FineTuneOptions(seed, o.MaxSteps);
                    jobs.Add(($"fine-tune seed {seed}", () => new ErnieTextClassificationTrainer(trainer.env, fo) { AdditionalRows = pseudo }.Fit(input), Key("finetune", fo, pseudo)));
                }
            }
            var teachers = new List<ErnieClassifierTransformerBase>();
            var validationProbabilities = new List<float[][]>();   // each teacher scores the validation set once
            var accuracies = new List<double>();
            using var ch = trainer.host.Start("Self-training");
            foreach (var job in jobs)
            {
                ch.Info($"generation {g}: training teacher {teachers.Count + 1}/{jobs.Count} ({job.Name})");
                var model = TrainOrLoad(job.Train, job.Key, ch);
                teachers.Add(model);
                validationProbabilities.Add(validation is { Count: > 0 } ? model.Score(validation) : null);
                accuracies.Add(Accuracy(validationProbabilities[^1]));
                ch.Info($"generation {g}: {job.Name} validation accuracy {accuracies[^1]:P2}");
            }
            var selected = TeacherEnsemble.Select(accuracies, o.TeacherSelectionMargin);
            var weights = TeacherEnsemble.Weights(o.Weighting, accuracies, selected);
            for (int i = 0; i < teachers.Count; i++) if (!selected[i]) teachers[i].Dispose();
            var ensemble = new ErnieEnsembleTransformer(trainer.env, teachers.Where((_, i) => selected[i]).ToList(), weights.Where((_, i) => selected[i]).ToList());
            double ensembleAccuracy = validation is { Count: > 0 }
                ? Accuracy(TeacherEnsemble.Combine(validationProbabilities.Where((_, i) => selected[i]).ToList(), weights.Where((_, i) => selected[i]).ToList()))
                : double.NaN;
            ch.Info($"generation {g}: ensemble of {selected.Count(x => x)} of {teachers.Count} teachers, validation accuracy {ensembleAccuracy:P2}");
            generations.Add(new GenerationReport(g, pseudo?.Rows.Count ?? 0,
                jobs.Select((j, i) => new TeacherReport(j.Name, accuracies[i], weights[i])).ToList(), ensembleAccuracy));
            return ensemble;
        }

        /// <summary>Labels the unlabeled texts with the ensemble's temperature-scaled probabilities and trains the student on them and the labelled data.</summary>
        public ErnieClassifierTransformerBase Distil(ErnieEnsembleTransformer ensemble)
        {
            using var ch = trainer.host.Start("Distillation");
            ch.Info($"distillation: scoring {unlabeled.Count} unlabeled texts with the ensemble");
            var soft = ensemble.Score(unlabeled).Select(p => SoftLabels.Scale(p, o.Temperature)).ToList();
            var rows = new AdditionalTrainingRows(unlabeled, soft, o.Temperature);
            int steps = o.DistillationMaxSteps > 0 ? o.DistillationMaxSteps
                : (int)Math.Ceiling((double)(train.Count + unlabeled.Count) / o.BatchSize) * o.DistillationEpochs;
            int seed = o.Seed + 7919;
            ErnieClassifierTransformerBase student;
            if (o.Student == PetStudent.FineTune)
            {
                var fo = FineTuneOptions(seed, steps);
                fo.EvalSteps = StudentEvalSteps(steps);
                student = TrainOrLoad(() => new ErnieTextClassificationTrainer(trainer.env, fo) { AdditionalRows = rows }.Fit(input), Key("student-finetune", fo, rows), ch);
            }
            else
            {
                var po = PromptOptions((o.Prompts ?? new[] { o.Prompt })[0], seed, steps);
                po.EvalSteps = StudentEvalSteps(steps);
                student = TrainOrLoad(() => new PromptErnieTrainer(trainer.env, po) { AdditionalRows = rows }.Fit(input), Key("student-prompt", po, rows), ch);
            }
            studentValidationAccuracy = validation is { Count: > 0 } ? Accuracy(student.Score(validation)) : double.NaN;
            ch.Info($"distillation: student ({o.Student}) validation accuracy {studentValidationAccuracy:P2}");
            return student;
        }

        /// <summary>
        /// The student, unless its validation accuracy is more than <see cref="Options.TeacherSelectionMargin"/> below the best
        /// teacher's: then distillation did harm (e.g. unlabeled texts unlike the task's) and the best teacher is returned
        /// instead. What is not returned is disposed.
        /// </summary>
        public ErnieClassifierTransformerBase KeepStudentOrBestTeacher(ErnieClassifierTransformerBase student, ErnieEnsembleTransformer ensemble)
        {
            var members = generations[^1].Teachers.Where(t => t.Weight > 0).ToList();   // the ensemble's members, in order
            int best = members.FindIndex(t => t.ValidationAccuracy == members.Max(m => m.ValidationAccuracy));
            if (double.IsNaN(studentValidationAccuracy) || double.IsNaN(members[best].ValidationAccuracy)
                || studentValidationAccuracy >= members[best].ValidationAccuracy - o.TeacherSelectionMargin)
            {
                ensemble.Dispose();
                return student;
            }
            returnedTeacher = members[best].Name;
            using (var ch = trainer.host.Start("Distillation"))
                ch.Warning($"the distilled student's validation accuracy {studentValidationAccuracy:P2} is more than {o.TeacherSelectionMargin:P0} below the best teacher's " +
                           $"({returnedTeacher}, {members[best].ValidationAccuracy:P2}); returning that teacher instead. Check that the unlabeled texts are like the task's texts.");
            student.Dispose();
            for (int i = 0; i < ensemble.Members.Count; i++) if (i != best) ensemble.Members[i].Dispose();
            return ensemble.Members[best];
        }

        /// <summary>About 20 validations over the distillation run, never more often than the teachers validate.</summary>
        private int StudentEvalSteps(int steps) => Math.Max(o.EvalSteps, Math.Max(1, steps / 20));

        public SelfTrainingReport Report(ErnieClassifierTransformerBase student) =>
            new(unlabeled.Count, generations.ToList(), student is null ? double.NaN : studentValidationAccuracy, clock.Elapsed.TotalSeconds, returnedTeacher);

        private PromptErnieTrainer.Options PromptOptions(string prompt, int seed, int maxSteps)
        {
            var po = new PromptErnieTrainer.Options();
            CopyFields(o, po, typeof(PromptErnieTrainer.Options));
            po.Prompt = prompt;
            po.Seed = seed;
            po.MaxSteps = maxSteps;
            po.CheckpointDirectory = null;
            po.ResumeFromCheckpoint = null;
            return po;
        }

        private ErnieTextClassificationTrainer.Options FineTuneOptions(int seed, int maxSteps)
        {
            var fo = new ErnieTextClassificationTrainer.Options { ClassifierLearningRate = o.PromptLearningRate, Pooling = o.FineTunePooling };
            CopyFields(o, fo, typeof(ErnieTrainerOptionsBase));
            fo.Seed = seed;
            fo.MaxSteps = maxSteps;
            fo.CheckpointDirectory = null;
            fo.ResumeFromCheckpoint = null;
            return fo;
        }

        private static void CopyFields(object from, object to, Type declaredBy)
        {
            for (var t = declaredBy; t is not null && t != typeof(object); t = t.BaseType)
                foreach (var f in t.GetFields(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
                    f.SetValue(to, f.GetValue(from));
        }

        /// <summary>Accuracy of validation-set probabilities (NaN without a validation set).</summary>
        private double Accuracy(float[][] validationProbabilities) => validationProbabilities is null ? double.NaN
            : (double)validation.Where((r, i) => Inference.Probabilities.ArgMax(validationProbabilities[i]) == r.Label).Count() / validation.Count;

        /// <summary>A name for a model that changes whenever its options, the data or its additional rows change.</summary>
        private string Key(string kind, ErnieTrainerOptionsBase options, AdditionalTrainingRows additional)
        {
            var sb = new StringBuilder(kind).Append('\n').Append(dataFingerprint).Append('\n');
            foreach (var f in options.GetType().GetFields(BindingFlags.Public | BindingFlags.Instance).OrderBy(f => f.Name))
            {
                var v = f.GetValue(options);
                if (v is null || v is string || v.GetType().IsPrimitive || v.GetType().IsEnum) sb.Append(f.Name).Append('=').Append(v).Append('\n');
                else if (v is IDictionary<string, string[]> words) sb.Append(f.Name).Append('=').Append(string.Join(";", words.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + ":" + string.Join(",", kv.Value)))).Append('\n');
            }
            if (additional is not null)
                for (int i = 0; i < additional.Rows.Count; i++)
                {
                    var r = additional.Rows[i];
                    sb.Append(r.Text).Append('\t').Append(r.TextPair).Append('\t').Append(r.Label);
                    if (additional.SoftLabels?[i] is { } q) sb.Append('\t').Append(string.Join(",", q.Select(x => x.ToString("R"))));
                    sb.Append('\n');
                }
            return kind + "-" + Fingerprint(sb.ToString())[..16];
        }

        private static string Fingerprint(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();

        /// <summary>Trains a model, or loads it from <see cref="Options.RunDirectory"/> when an earlier run finished it.</summary>
        private ErnieClassifierTransformerBase TrainOrLoad(Func<ErnieClassifierTransformerBase> train, string key, IChannel ch)
        {
            if (o.RunDirectory is null) return train();
            var path = Path.Combine(o.RunDirectory, key + ".zip");
            var models = new ModelOperationsCatalog(trainer.env);
            if (File.Exists(path))
            {
                ch.Info($"using the finished model {path}");
                using var stream = File.OpenRead(path);
                return models.Load(stream, out _) as ErnieClassifierTransformerBase
                    ?? throw trainer.host.Except($"'{path}' is not a model of this package; delete it to train it again.");
            }
            var model = train();
            Directory.CreateDirectory(o.RunDirectory);
            AtomicFile.Write(path, s => models.Save(model, input.Schema, s));
            return model;
        }
    }
}
