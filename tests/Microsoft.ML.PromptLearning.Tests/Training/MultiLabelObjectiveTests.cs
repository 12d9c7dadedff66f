using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.FineTuning;
using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.MultiLabel;
using Microsoft.ML.PromptLearning.Prompting;
using Microsoft.ML.PromptLearning.Tokenization;
using Microsoft.ML.PromptLearning.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.Training;

public class MultiLabelObjectiveTests
{
    private static List<EncodedExample> Encode(IEnumerable<(string Text, int[] Labels)> rows, Func<string, EncodedExample> encode) =>
        rows.Select(r => { var e = encode(r.Text); e.LabelSet = r.Labels; return e; }).ToList();

    [Fact]
    public void LossIsTheMeanBinaryCrossEntropyOfTheMultiHotTargets()
    {
        manual_seed(1);
        var loaded = ErnieCheckpoint.Load(TestPaths.Fixture("tiny-ernie"));
        var net = new FineTuneClassifier(loaded.Model, 2, FineTunePooling.Mean);
        var examples = Encode([("学生", [0]), ("山水", [])], t => { var e = loaded.Tokenizer.Encode(t); return new EncodedExample { InputIds = e.InputIds, TokenTypeIds = e.TokenTypeIds }; });
        var batch = ClassifierBatch.Collate(examples, CPU, 0);
        var logits = tensor(new float[] { 0, 2, -1, 0 }, new long[] { 2, 2 });
        var loss = LabelObjective.MultiLabel.Loss(net, new ClassifierOutput(logits, null, null), batch, new TrainingSettings()).item<float>();
        // -(t log σ(x) + (1-t) log(1-σ(x))): ln 2, ln(1+e²), ln(1+e⁻¹), ln 2
        double expected = (Math.Log(2) + Math.Log(1 + Math.Exp(2)) + Math.Log(1 + Math.Exp(-1)) + Math.Log(2)) / 4;
        Assert.Equal(expected, loss, 5);
        Assert.Equal(new[] { 1f, 0f, 0f, 0f }, MultiLabelObjective.Targets([[0], []], 2, CPU).data<float>().ToArray());
        Assert.Equal(new[] { 0.5f, 1 / (1 + MathF.Exp(-2)) }, LabelObjective.MultiLabel.Activation.Apply(logits)[0].data<float>().ToArray());
    }

    [Fact]
    public void MultiLabelRejectsTheSingleLabelAuxiliaryLosses()
    {
        Assert.Throws<NotSupportedException>(() => LabelObjective.MultiLabel.Check(new TrainingSettings { UseRDrop = true }));
        Assert.Throws<NotSupportedException>(() => LabelObjective.MultiLabel.Check(new TrainingSettings { UseRgl = true }));
    }

    public static TheoryData<string> Heads => new() { "fine-tune", "soft verbalizer" };

    [Theory]
    [MemberData(nameof(Heads))]
    public void LearnsASeparableMultiLabelTaskAndKeepsTheBestMacroF1(string head)
    {
        manual_seed(2);
        var loaded = ErnieCheckpoint.Load(TestPaths.Fixture("tiny-ernie"));
        ClassifierNet net;
        Func<string, EncodedExample> encode;
        if (head == "fine-tune")
        {
            net = new FineTuneClassifier(loaded.Model, 2, FineTunePooling.Mean);
            encode = t => { var e = loaded.Tokenizer.Encode(t); return new EncodedExample { InputIds = e.InputIds, TokenTypeIds = e.TokenTypeIds }; };
        }
        else
        {
            var template = Template.Parse("这是{'mask'}：{'text':'text_a'}");
            var words = LabelWords.FromDictionary(new Dictionary<string, string[]> { ["school"] = ["学生"], ["business"] = ["公司"] });
            net = new PromptClassifier(loaded.Model, null, new SoftVerbalizer(words, loaded.Model, loaded.Tokenizer), template.MaskCount, template);
            var encoder = new PromptEncoder(template, loaded.Tokenizer, 32);
            encode = t => { var e = encoder.Encode(t); return new EncodedExample { InputIds = e.InputIds, TokenTypeIds = e.TokenTypeIds, PositionIds = e.PositionIds, MaskPositions = e.MaskPositions }; };
        }
        var train = Encode(TinyMultiLabelTask.Rows(24, seed: 3), encode);
        var valid = Encode(TinyMultiLabelTask.Rows(12, seed: 4), encode);
        var settings = new TrainingSettings
        {
            Objective = LabelObjective.MultiLabel, BatchSize = 8, MaxSteps = 150, EvalSteps = 15, EarlyStoppingPatience = 0,
            LearningRate = 1e-3, HeadLearningRate = 3e-2, Seed = 2,
        };
        var report = ClassifierTrainingLoop.Run(net, train, valid, settings, CPU, null, null, null);
        var probs = TorchScoring.PredictProbabilities(net, valid, 8, CPU, 0, LabelActivation.Sigmoid);
        var metrics = MultiLabelClassificationMetrics.Compute(valid.Select(e => (IReadOnlyCollection<int>)e.LabelSet).ToArray(),
            probs.Select(p => (IReadOnlyCollection<int>)LabelThresholds.Apply(p)).ToArray(), ["school", "business"]);
        // empty sets and both labels together are learnt (the soft verbalizer starts from the MLM decoder and moves slower)
        Assert.True(metrics.MicroF1 >= 0.85, $"{head}: micro-F1 {metrics.MicroF1:F3}; history " + string.Join(" ", report.History.Select(h => $"{h.Step}:{h.ValidationAccuracy:F2}")));
        // the restored weights are those of the best evaluation, and its score is their macro-F1
        Assert.Equal(report.History.Max(h => h.ValidationAccuracy), report.BestValidationAccuracy);
        Assert.Equal(report.BestValidationAccuracy, metrics.MacroF1, 12);
        Assert.All(probs.SelectMany(p => p), p => Assert.InRange(p, 0f, 1f));
    }
}
