using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.PromptLearning;

/// <summary>Catalog extensions: <c>mlContext.MulticlassClassification.Trainers.PromptErnie(...)</c> and <c>.ErnieTextClassification(...)</c>.</summary>
public static class PromptLearningCatalog
{
    /// <summary>Fine-tunes a pretrained ERNIE/BERT with a linear classifier on [CLS] (the baseline for prompt learning).</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">Key-typed label column.</param>
    /// <param name="textColumnName">Text column.</param>
    /// <param name="modelPath">Pretrained model folder; null = the bundled model.</param>
    /// <param name="maxSteps">Training steps (≤ 0: <paramref name="numberOfEpochs"/> epochs).</param>
    /// <param name="numberOfEpochs">Epochs when <paramref name="maxSteps"/> is not set.</param>
    /// <param name="textPairColumnName">Optional second text column.</param>
    public static ErnieTextClassificationTrainer ErnieTextClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string textColumnName = "Text", string modelPath = null, int maxSteps = -1, int numberOfEpochs = 10, string textPairColumnName = null)
        => ErnieTextClassification(catalog, new ErnieTextClassificationTrainer.Options
        {
            LabelColumnName = labelColumnName, TextColumnName = textColumnName, TextPairColumnName = textPairColumnName,
            ModelPath = modelPath, MaxSteps = maxSteps, NumberOfEpochs = numberOfEpochs,
        });

    /// <summary>Fine-tunes a pretrained ERNIE/BERT with a linear classifier on [CLS], with every option.</summary>
    public static ErnieTextClassificationTrainer ErnieTextClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        ErnieTextClassificationTrainer.Options options)
        => new(catalog.GetEnvironment(), options);
}
