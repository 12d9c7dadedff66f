using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.FineTuning;
using Microsoft.ML.PromptLearning.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.Training;

public class ClassifierTrainingLoopTests
{
    private static (FineTuneClassifier Net, List<EncodedExample> Train, List<EncodedExample> Valid) Setup(int seed)
    {
        manual_seed(seed);
        var loaded = ErnieCheckpoint.Load(TestPaths.Fixture("tiny-ernie"));
        var net = new FineTuneClassifier(loaded.Model, 2, FineTunePooling.Pooler);
        EncodedExample Ex(string text, int label) { var e = loaded.Tokenizer.Encode(text); return new EncodedExample { InputIds = e.InputIds, TokenTypeIds = e.TokenTypeIds, Label = label }; }
        var train = new List<EncodedExample> { Ex("学生教育", 0), Ex("大学老师", 0), Ex("经济市场", 1), Ex("公司产品", 1) };
        // validation labels are the opposite of what training teaches: accuracy falls as training proceeds
        var valid = new List<EncodedExample> { Ex("学生教育", 1), Ex("经济市场", 0) };
        return (net, train, valid);
    }

    [Fact]
    public void EarlyStoppingRestoresTheBestStepsWeights()
    {
        var (net, train, valid) = Setup(1);
        var settings = new TrainingSettings { BatchSize = 4, MaxSteps = 40, EvalSteps = 2, EarlyStoppingPatience = 3, LearningRate = 5e-3, HeadLearningRate = 5e-2, Seed = 1 };
        var report = ClassifierTrainingLoop.Run(net, train, valid, settings, CPU, null, null, null);
        Assert.True(report.Steps < 40, "early stopping should have ended training");
        var best = report.History.MaxBy(h => h.ValidationAccuracy)!;
        Assert.Equal(best.Step, report.BestStep);
        Assert.Equal(best.ValidationAccuracy, report.BestValidationAccuracy);
        // the restored weights reproduce the best validation accuracy, not the last one
        var probs = TorchScoring.PredictProbabilities(net, valid, 8, CPU, 0);
        double accuracy = valid.Select((e, i) => global::Microsoft.ML.PromptLearning.Inference.Probabilities.ArgMax(probs[i]) == e.Label ? 1.0 : 0.0).Average();
        Assert.Equal(report.BestValidationAccuracy, accuracy);
        // the first evaluation reaching the best accuracy is kept, and training stopped after exactly `patience` evaluations without improvement
        Assert.Equal(report.History.First(h => h.ValidationAccuracy == report.BestValidationAccuracy).Step, report.BestStep);
        Assert.Equal(3, report.History.Count(h => h.Step > report.BestStep));
    }

    [Fact]
    public void FrozenPlmKeepsItsWeightsAndTrainsOnlyTheHead()
    {
        var (net, train, _) = Setup(2);
        var before = net.Plm.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var headBefore = net.HeadParameters().Select(p => p.Parameter.detach().clone()).ToList();
        var settings = new TrainingSettings { BatchSize = 4, MaxSteps = 5, LearningRate = 1e-2, HeadLearningRate = 1e-2, FreezePlm = true, Seed = 2 };
        ClassifierTrainingLoop.Run(net, train, null, settings, CPU, null, null, null);
        foreach (var (name, p) in net.Plm.named_parameters()) Assert.True((p - before[name]).abs().max().item<float>() == 0, $"{name} changed although the PLM is frozen");
        Assert.Contains(net.HeadParameters().Zip(headBefore), pair => (pair.First.Parameter - pair.Second).abs().max().item<float>() > 0);
    }

    [Fact]
    public void SameSeedGivesTheSameModel()
    {
        float[] Train()
        {
            var (net, train, _) = Setup(3);
            ClassifierTrainingLoop.Run(net, train, null, new TrainingSettings { BatchSize = 2, MaxSteps = 6, LearningRate = 1e-3, HeadLearningRate = 1e-2, Seed = 9, UseRDrop = true, UseRgl = true }, CPU, null, null, null);
            return TorchScoring.PredictProbabilities(net, train, 4, CPU, 0).SelectMany(r => r).ToArray();
        }
        Assert.Equal(Train(), Train());
    }
}
