using Microsoft.ML.PromptLearning.Training;

namespace Microsoft.ML.PromptLearning.Cli.Workflow;

/// <summary>A saved model zip (label key map + prompt or fine-tune classifier) opened for scoring texts.</summary>
internal sealed class TrainedModel : IDisposable
{
    private TrainedModel(string zip, ITransformer model, ClassifierTransformerBase classifier)
    {
        ZipPath = zip;
        Model = model;
        Classifier = classifier;
    }

    public string ZipPath { get; }
    public ITransformer Model { get; }
    public ClassifierTransformerBase Classifier { get; }
    public IReadOnlyList<string> Labels => Classifier.LabelNames;

    public static TrainedModel Wrap(string zip, ITransformer model) => new(zip, model, FindClassifier(model, zip));

    /// <summary>Loads <paramref name="path"/> (a model zip or a train output folder).</summary>
    public static TrainedModel Load(MLContext ml, string path)
    {
        var zip = RunFiles.ResolveModelZip(path);
        return Wrap(zip, ml.Model.LoadPromptModel(zip, out _));   // checks the file first; errors name it
    }

    private static ClassifierTransformerBase FindClassifier(ITransformer model, string zip) => model switch
    {
        ClassifierTransformerBase c => c,
        IEnumerable<ITransformer> chain => chain.OfType<ClassifierTransformerBase>().LastOrDefault()
            ?? throw new InvalidDataException($"'{zip}' holds no PromptErnie, ErnieTextClassification or ensemble model."),
        _ => throw new InvalidDataException($"'{zip}' holds no PromptErnie, ErnieTextClassification or ensemble model."),
    };

    /// <summary>Whether the model predicts label sets (multi-label and hierarchical tasks).</summary>
    public bool MultiLabel => Classifier.Settings.MultiLabel;

    /// <summary>The label tree of a hierarchical model, or null.</summary>
    public MultiLabel.LabelHierarchy Hierarchy => Classifier.Settings.Hierarchical ? PromptLearning.MultiLabel.LabelHierarchy.Create(Labels) : null;

    /// <summary>Per-label probabilities per text and the predicted label sets (thresholds, then the label tree's rule).</summary>
    public (float[][] Probabilities, int[][] LabelSets) PredictLabelSets(IReadOnlyList<string> texts)
    {
        var probabilities = Classifier.PredictProbabilities(texts);
        return (probabilities, probabilities.Select(p => MLNet.MultiLabelScoring.Decide(Classifier.Settings, p)).ToArray());
    }

    /// <summary>Class probabilities per text (batched by length), and the predicted class index.</summary>
    public (float[][] Probabilities, int[] Predicted) Predict(IReadOnlyList<string> texts)
    {
        var probabilities = Classifier.PredictProbabilities(texts);
        return (probabilities, probabilities.Select(p => global::Microsoft.ML.PromptLearning.Inference.Probabilities.ArgMax(p)).ToArray());
    }


    public void Dispose() => (Classifier as IDisposable)?.Dispose();
}
