using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Inference;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.FineTuning;

/// <summary>
/// The classic fine-tune baseline: a pooled vector of the text, dropout and a linear layer (HF <c>ErnieForSequenceClassification</c>
/// with <see cref="FineTunePooling.Pooler"/>).
/// </summary>
internal sealed class FineTuneClassifier : ClassifierNet
{
    private readonly ErnieForMaskedLM plm;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    /// <param name="plm">The pretrained model.</param>
    /// <param name="classCount">Number of classes.</param>
    /// <param name="pooling">A resolved pooling (not <see cref="FineTunePooling.Auto"/>).</param>
    public FineTuneClassifier(ErnieForMaskedLM plm, int classCount, FineTunePooling pooling) : base(nameof(FineTuneClassifier))
    {
        if (pooling == FineTunePooling.Auto || !Enum.IsDefined(pooling)) throw new ArgumentOutOfRangeException(nameof(pooling), pooling, "Resolve Auto before building the classifier.");
        this.plm = plm;
        Pooling = pooling;
        dropout = nn.Dropout(plm.Config.HiddenDropoutProb);
        classifier = nn.Linear(plm.Config.HiddenSize, classCount);
        using (no_grad())
        {
            classifier.weight.normal_(0, 0.02);
            classifier.bias.zero_();
        }
        RegisterComponents();
        this.KeepOutOfDisposeScopes();
        ClassCount = classCount;
    }

    /// <summary>Resolves <see cref="FineTunePooling.Auto"/>: the pooler when the checkpoint has pretrained pooler weights, else the mean.</summary>
    public static FineTunePooling Resolve(FineTunePooling requested, bool checkpointHasPooler) =>
        requested != FineTunePooling.Auto ? requested : checkpointHasPooler ? FineTunePooling.Pooler : FineTunePooling.Mean;

    public override ErnieForMaskedLM Plm => plm;
    public override int ClassCount { get; }

    /// <summary>How the text vector is formed.</summary>
    public FineTunePooling Pooling { get; }

    public override ClassifierOutput Forward(ClassifierBatch batch)
    {
        bool mean = Pooling == FineTunePooling.Mean;
        var output = plm.Encode(new ErnieInputs
        {
            InputIds = batch.InputIds, TokenTypeIds = batch.TokenTypeIds, AttentionMask = batch.AttentionMask, PositionIds = batch.PositionIds,
            // the last layer runs only at [CLS] unless every position is averaged
            OutputPositions = mean ? null : zeros(batch.InputIds.shape[0], 1, dtype: int64, device: batch.InputIds.device),
        });
        var pooled = Pooling switch                                                          // [B, H]
        {
            FineTunePooling.Pooler => output.PooledOutput,
            FineTunePooling.Cls => output.LastHiddenState.select(1, 0),
            _ => MaskedMean(output.LastHiddenState, batch.AttentionMask),
        };
        return new ClassifierOutput(classifier.forward(dropout.forward(pooled)), pooled, null);
    }

    /// <summary>Mean of <paramref name="hidden"/> <c>[B, T, H]</c> over the positions where <paramref name="attentionMask"/> <c>[B, T]</c> is 1.</summary>
    internal static Tensor MaskedMean(Tensor hidden, Tensor attentionMask)
    {
        var keep = attentionMask.to(hidden.dtype).unsqueeze(-1);                             // [B, T, 1]
        return (hidden * keep).sum(1) / keep.sum(1).clamp_min(1);                           // [B, H]
    }

    public override IEnumerable<(string Name, Parameter Parameter)> HeadParameters() =>
        classifier.named_parameters().Select(p => ("classifier." + p.name, p.parameter));
}
