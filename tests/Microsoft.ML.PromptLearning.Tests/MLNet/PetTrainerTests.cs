using Microsoft.ML;
using Microsoft.ML.Data;

namespace Microsoft.ML.PromptLearning.Tests.MLNet;

public class PetTrainerTests
{
    private static readonly Dictionary<string, string[]> Words = new()
    {
        ["教育"] = new[] { "教育" }, ["经济"] = new[] { "经济" }, ["体育"] = new[] { "体育" },
    };

    private static readonly string[] Prompts = { "这是{'mask'}：{'text':'text_a'}", "{'soft':'主题'}{'text':'text_a'}{'mask'}" };

    private sealed class TextOnly
    {
        public string Text { get; set; }
    }

    private static (MLContext Ml, IDataView Train, IDataView Validation, ITransformer KeyMap, List<TinyTask.Row> TrainRows) Task()
    {
        var ml = new MLContext(seed: 1);
        var rows = TinyTask.Rows(6, seed: 1);
        var (train, keyMap) = TinyTask.Load(ml, rows);
        var validation = keyMap.Transform(ml.Data.LoadFromEnumerable(TinyTask.Rows(5, seed: 2)));
        return (ml, train, validation, keyMap, rows);
    }

    private static IDataView Unlabeled(MLContext ml, IEnumerable<string> texts) => ml.Data.LoadFromEnumerable(texts.Select(t => new TextOnly { Text = t }));

    private static PetTrainer.Options Options(IDataView validation, IDataView unlabeled) => new()
    {
        ModelPath = TestPaths.Fixture("tiny-ernie"), LabelWords = Words, Prompts = Prompts, ValidationSet = validation, UnlabeledData = unlabeled,
        MaxSteps = 40, EvalSteps = 10, EarlyStoppingPatience = 0, BatchSize = 8, LearningRate = 2e-3, PromptLearningRate = 1e-2,
        MaxSequenceLength = 32, Seed = 5, LoggingSteps = 0, DistillationMaxSteps = 40, TeacherSelectionMargin = double.PositiveInfinity,
    };

    [Fact]
    public void DistilsPromptAndFineTuneTeachersIntoAFineTuneStudent()
    {
        var (ml, train, validation, _, rows) = Task();
        var texts = TinyTask.Rows(15, seed: 9).Select(r => r.Text).ToList();
        texts.Add(rows[0].Text);   // a training text: dropped
        texts.Add(texts[0]);       // a duplicate: dropped
        texts.Add("  ");           // empty: dropped
        int usable = texts.Take(30).Distinct().Count(t => !rows.Any(r => r.Text == t));
        var options = Options(validation, Unlabeled(ml, texts));
        options.MaxSteps = 60;
        options.DistillationMaxSteps = 100;
        var student = ml.MulticlassClassification.Trainers.Pet(options).Fit(train);

        Assert.IsType<ErnieTextClassificationTransformer>(student);
        var report = student.SelfTrainingReport;
        Assert.Null(report.ReturnedTeacher);
        Assert.Equal(usable, report.UnlabeledRows);
        var teachers = Assert.Single(report.Generations).Teachers;
        Assert.Equal(new[] { "prompt 0 seed 5", "prompt 1 seed 5", "fine-tune seed 5" }, teachers.Select(t => t.Name));
        Assert.Equal(1.0, teachers.Sum(t => t.Weight), 1e-9);
        foreach (var t in teachers) Assert.Equal(t.ValidationAccuracy / teachers.Sum(x => x.ValidationAccuracy), t.Weight, 1e-9);
        double accuracy = ml.MulticlassClassification.Evaluate(student.Transform(validation)).MicroAccuracy;
        Assert.Equal(report.StudentValidationAccuracy, accuracy, 1e-9);
        Assert.True(accuracy >= 0.85, $"the distilled student reaches {accuracy:P1} on a separable task (chance 50%)");
    }

    [Fact]
    public void AStudentFarBelowTheBestTeacherIsReplacedByThatTeacher()
    {
        var (ml, train, validation, _, _) = Task();
        var options = Options(validation, Unlabeled(ml, TinyTask.Rows(10, seed: 13).Select(r => r.Text)));
        options.MaxSteps = 60;
        options.DistillationMaxSteps = 1;          // a student that has barely started
        options.TeacherSelectionMargin = 0;
        options.LearningRate = 1e-6;               // … and cannot move in one step
        var model = ml.MulticlassClassification.Trainers.Pet(options).Fit(train);
        var report = model.SelfTrainingReport;
        var teachers = report.Generations[0].Teachers;
        var best = teachers.MaxBy(t => t.ValidationAccuracy)!;
        Assert.True(report.StudentValidationAccuracy < best.ValidationAccuracy, $"student {report.StudentValidationAccuracy}, best teacher {best.ValidationAccuracy}");
        Assert.Equal(best.Name, report.ReturnedTeacher);
        Assert.Equal(best.ValidationAccuracy, ml.MulticlassClassification.Evaluate(model.Transform(validation)).MicroAccuracy, 1e-9);
        Assert.IsType(best.Name.StartsWith("prompt") ? typeof(PromptErnieTransformer) : typeof(ErnieTextClassificationTransformer), model);
    }

    [Fact]
    public void EnsembleScoresAreTheWeightedMeanAndSurviveSaveAndLoadInAnotherProcess()
    {
        var (ml, train, validation, keyMap, rows) = Task();
        var options = Options(validation, null);
        options.Teachers = PetTeachers.PromptAndFineTune;
        var ensemble = ml.MulticlassClassification.Trainers.Pet(options).FitEnsemble(train);
        Assert.Equal(3, ensemble.Members.Count);
        var texts = rows.Select(r => r.Text).ToList();
        var expected = ensemble.PredictProbabilities(texts);
        var members = ensemble.Members.Select(m => m.PredictProbabilities(texts)).ToList();
        for (int r = 0; r < texts.Count; r++)
            for (int c = 0; c < 3; c++)
                Assert.Equal(Enumerable.Range(0, 3).Sum(m => ensemble.Weights[m] * members[m][r][c]), expected[r][c], 1e-6);

        var chain = keyMap.Append(ensemble);
        var raw = ml.Data.LoadFromEnumerable(rows);
        var path = Path.Combine(TestPaths.NewTempDir(), "ensemble.zip");
        ml.Model.Save(chain, raw.Schema, path);
        var before = chain.Transform(raw).GetColumn<float[]>("Score").ToList();
        var loaded = ml.Model.Load(path, out _);
        var after = loaded.Transform(raw).GetColumn<float[]>("Score").ToList();
        var elsewhere = SeparateProcess.Score(path, texts);
        for (int i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i], after[i]);
            Assert.Equal(before[i], elsewhere[i]);
        }
        var reloaded = Assert.IsType<ErnieEnsembleTransformer>(((TransformerChain<ITransformer>)loaded).LastTransformer);
        Assert.Equal(ensemble.Weights, reloaded.Weights);
    }

    [Fact]
    public void IpetGrowsThePseudoLabelledSetEachGeneration()
    {
        var (ml, train, validation, _, _) = Task();
        var options = Options(validation, Unlabeled(ml, TinyTask.Rows(20, seed: 11).Select(r => r.Text)));
        options.Teachers = PetTeachers.FineTune;
        options.Generations = 3;
        options.PseudoLabelsPerClass = 3;
        options.PseudoLabelGrowth = 2;
        options.MaxSteps = 20;
        var ensemble = ml.MulticlassClassification.Trainers.Pet(options).FitEnsemble(train);
        // Two classes have training rows: 3 per class = 6 in generation 1, doubled to 12 in generation 2.
        Assert.Equal(new[] { 0, 6, 12 }, ensemble.SelfTrainingReport.Generations.Select(g => g.PseudoLabelledRows));
        Assert.Equal(new[] { "fine-tune seed 5", "fine-tune seed 1005", "fine-tune seed 2005" },
            ensemble.SelfTrainingReport.Generations.Select(g => g.Teachers.Single().Name));
    }

    [Fact]
    public void RunDirectoryResumesWithTheModelsThatWereFinished()
    {
        var (ml, train, validation, _, rows) = Task();
        var dir = TestPaths.NewTempDir();
        var options = Options(validation, Unlabeled(ml, TinyTask.Rows(10, seed: 12).Select(r => r.Text)));
        options.RunDirectory = dir;
        options.Teachers = PetTeachers.FineTune;
        options.TeacherSeeds = 2;
        var first = ml.MulticlassClassification.Trainers.Pet(options).Fit(train);
        var texts = rows.Select(r => r.Text).ToList();
        var scores = first.PredictProbabilities(texts);
        var zips = Directory.GetFiles(dir, "*.zip").OrderBy(f => f).ToList();
        Assert.Equal(3, zips.Count);   // two teachers and the student
        var student = Assert.Single(zips, z => Path.GetFileName(z).StartsWith("student-"));
        var teacherTimes = zips.Where(z => z != student).ToDictionary(z => z, File.GetLastWriteTimeUtc);
        File.Delete(student);   // as if the run had been killed while distilling

        var second = ml.MulticlassClassification.Trainers.Pet(options).Fit(train);
        Assert.True(File.Exists(student), "the student is trained again and saved under the same name");
        foreach (var (zip, time) in teacherTimes) Assert.Equal(time, File.GetLastWriteTimeUtc(zip));   // teachers were loaded, not retrained
        var again = second.PredictProbabilities(texts);
        for (int i = 0; i < texts.Count; i++) Assert.Equal(scores[i], again[i]);
    }

    [Fact]
    public void BadUnlabeledDataGetsClearErrors()
    {
        var (ml, train, validation, _, rows) = Task();
        var empty = Assert.ThrowsAny<Exception>(() => ml.MulticlassClassification.Trainers.Pet(Options(validation, Unlabeled(ml, Array.Empty<string>()))).Fit(train));
        Assert.Contains("UnlabeledData has no rows", empty.Message);
        var wrongColumn = ml.Data.LoadFromEnumerable(new[] { new { Sentence = "经济" } });
        var missing = Assert.ThrowsAny<Exception>(() => ml.MulticlassClassification.Trainers.Pet(Options(validation, wrongColumn)).Fit(train));
        Assert.Contains("text column 'Text' is missing", missing.Message);
        var onlyTraining = Assert.ThrowsAny<Exception>(() => ml.MulticlassClassification.Trainers.Pet(Options(validation, Unlabeled(ml, rows.Select(r => r.Text)))).Fit(train));
        Assert.Contains("none is usable", onlyTraining.Message);
        var none = Assert.ThrowsAny<Exception>(() => ml.MulticlassClassification.Trainers.Pet(Options(validation, null)).Fit(train));
        Assert.Contains("FitEnsemble", none.Message);
        var options = Options(validation, null);
        options.Generations = 2;
        Assert.Contains("iPET", Assert.ThrowsAny<Exception>(() => ml.MulticlassClassification.Trainers.Pet(options)).Message);
    }
}
