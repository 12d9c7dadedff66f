namespace Microsoft.ML.PromptLearning;

/// <summary>How the fine-tune baseline (<see cref="ErnieTextClassificationTrainer"/>) turns the encoder's output into one vector per text.</summary>
public enum FineTunePooling
{
    /// <summary>
    /// <see cref="Pooler"/> when the checkpoint has pretrained pooler weights (ERNIE 3.0, bert-base-chinese), otherwise
    /// <see cref="Mean"/>: a masked-LM-only checkpoint such as the bundled ChineseMini has a random pooler, and a random
    /// tanh layer between [CLS] and the classifier costs accuracy (FewCLUE TNEWS with ChineseMini: 29.2% with the
    /// random pooler, 32.0% with mean pooling).
    /// </summary>
    Auto,

    /// <summary>tanh(dense([CLS])): the pretrained pooler, as in PaddleNLP's and Hugging Face's <c>ErnieForSequenceClassification</c>.</summary>
    Pooler,

    /// <summary>The last hidden state of [CLS], without the pooler.</summary>
    Cls,

    /// <summary>The mean of the last hidden states over the text's tokens ([CLS] and [SEP] included, padding excluded).</summary>
    Mean,
}
