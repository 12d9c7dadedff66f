using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.FineTuning;

/// <summary>The classic fine-tune baseline: dropout + linear layer on the pooled [CLS] output (HF <c>ErnieForSequenceClassification</c>).</summary>
internal sealed class FineTuneClassifier : ClassifierNet
{
    private readonly ErnieForMaskedLM plm;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    public FineTuneClassifier(ErnieForMaskedLM plm, int classCount) : base(nameof(FineTuneClassifier))
    {
        this.plm = plm;
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

    public override ErnieForMaskedLM Plm => plm;
    public override int ClassCount { get; }

    public override ClassifierOutput Forward(ClassifierBatch batch)
    {
        var output = plm.Encode(new ErnieInputs
        {
            InputIds = batch.InputIds, TokenTypeIds = batch.TokenTypeIds, AttentionMask = batch.AttentionMask, PositionIds = batch.PositionIds,
            OutputPositions = zeros(batch.InputIds.shape[0], 1, dtype: int64, device: batch.InputIds.device),   // only [CLS] is read
        });
        var pooled = output.PooledOutput;                                    // [B, H]
        return new ClassifierOutput(classifier.forward(dropout.forward(pooled)), pooled, null);
    }

    public override IEnumerable<(string Name, Parameter Parameter)> HeadParameters() =>
        classifier.named_parameters().Select(p => ("classifier." + p.name, p.parameter));
}
