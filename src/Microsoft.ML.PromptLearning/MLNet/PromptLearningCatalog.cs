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

    /// <summary>
    /// Prompt-based few-shot classification: wraps each text in <paramref name="prompt"/> with a [MASK] slot and scores the
    /// label words there with the pretrained masked language model (PaddleNLP's prompt learning).
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelWords">Label name → label words (e.g. "news_car" → ["汽车"]).</param>
    /// <param name="prompt">Bare prompt (e.g. "这条新闻标题的主题是") or a PaddleNLP template; null = <c>{'soft'}{'text':'text_a'}{'mask'}</c>.</param>
    /// <param name="labelColumnName">Key-typed label column.</param>
    /// <param name="textColumnName">Text column (<c>text_a</c>).</param>
    /// <param name="modelPath">Pretrained model folder; null = the bundled model.</param>
    /// <param name="maxSteps">Training steps (≤ 0: <paramref name="numberOfEpochs"/> epochs).</param>
    /// <param name="numberOfEpochs">Epochs when <paramref name="maxSteps"/> is not set.</param>
    /// <param name="textPairColumnName">Optional second text column (<c>text_b</c>).</param>
    public static PromptErnieTrainer PromptErnie(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        IDictionary<string, string[]> labelWords, string prompt = null, string labelColumnName = "Label", string textColumnName = "Text",
        string modelPath = null, int maxSteps = -1, int numberOfEpochs = 10, string textPairColumnName = null)
        => PromptErnie(catalog, new PromptErnieTrainer.Options
        {
            LabelWords = labelWords, Prompt = prompt, LabelColumnName = labelColumnName, TextColumnName = textColumnName,
            TextPairColumnName = textPairColumnName, ModelPath = modelPath, MaxSteps = maxSteps, NumberOfEpochs = numberOfEpochs,
        });

    /// <summary>Prompt-based few-shot classification with every option.</summary>
    public static PromptErnieTrainer PromptErnie(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, PromptErnieTrainer.Options options)
        => new(catalog.GetEnvironment(), options);

    /// <summary>
    /// Few-shot learning with unlabeled text (PET / iPET): prompt and fine-tune teachers, weighted by validation accuracy, label
    /// the unlabeled texts, and a student model is distilled from them (<see cref="PetTrainer.Fit"/>); or the teachers are
    /// returned as an ensemble (<see cref="PetTrainer.FitEnsemble"/>).
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelWords">Label name → label words.</param>
    /// <param name="unlabeledData">Unlabeled texts with the same text column (e.g. PaddleNLP's data.txt).</param>
    /// <param name="validationSet">Labelled validation data: weights the teachers and stops training early.</param>
    /// <param name="prompts">The prompt teachers' templates; null = the default soft template.</param>
    /// <param name="labelColumnName">Key-typed label column.</param>
    /// <param name="textColumnName">Text column (<c>text_a</c>).</param>
    /// <param name="modelPath">Pretrained model folder; null = the bundled model.</param>
    public static PetTrainer Pet(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        IDictionary<string, string[]> labelWords, IDataView unlabeledData, IDataView validationSet = null, IList<string> prompts = null,
        string labelColumnName = "Label", string textColumnName = "Text", string modelPath = null)
        => Pet(catalog, new PetTrainer.Options
        {
            LabelWords = labelWords, UnlabeledData = unlabeledData, ValidationSet = validationSet, Prompts = prompts,
            LabelColumnName = labelColumnName, TextColumnName = textColumnName, ModelPath = modelPath,
        });

    /// <summary>Few-shot learning with unlabeled text (PET / iPET), with every option.</summary>
    public static PetTrainer Pet(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, PetTrainer.Options options)
        => new(catalog.GetEnvironment(), options);
}
