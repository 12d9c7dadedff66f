using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Inference;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>
/// The prompt model: word embeddings (with soft prompt vectors written into their slots) → ERNIE encoder → hidden states at
/// the template's [MASK] slots → verbalizer → one score per label.
/// </summary>
internal sealed class PromptClassifier : ClassifierNet
{
    private readonly ErnieForMaskedLM plm;
    private readonly SoftPromptEmbedding soft;     // null when the template has no soft parts
    private readonly Verbalizer verbalizer;

    public PromptClassifier(ErnieForMaskedLM plm, SoftPromptEmbedding soft, Verbalizer verbalizer, int maskCount, Template template = null) : base(nameof(PromptClassifier))
    {
        Template = template;
        this.plm = plm;
        this.soft = soft;
        this.verbalizer = verbalizer;
        MaskCount = maskCount;
        RegisterComponents();
        this.KeepOutOfDisposeScopes();
    }

    public override ErnieForMaskedLM Plm => plm;
    public override int ClassCount => verbalizer.Labels.Count;
    public int MaskCount { get; }
    public Verbalizer Verbalizer => verbalizer;
    public SoftPromptEmbedding Soft => soft;

    /// <summary>The template the inputs are encoded with (written to an ONNX export's metadata); null when not known.</summary>
    public Template Template { get; }


    public override ClassifierOutput Forward(ClassifierBatch batch)
    {
        var embeds = plm.Ernie.Embeddings.EmbedWords(batch.InputIds);                        // [B, T, H]
        if (soft is not null && batch.SoftTokenIds is not null) embeds = soft.Embed(embeds, batch.SoftTokenIds);
        var maskHidden = plm.Encode(new ErnieInputs
        {
            InputsEmbeds = embeds, TokenTypeIds = batch.TokenTypeIds, PositionIds = batch.PositionIds, AttentionMask = batch.AttentionMask,
            OutputPositions = batch.MaskPositions,
        }).LastHiddenState;                                                                   // [B, M, H]
        return new ClassifierOutput(verbalizer.LabelLogits(maskHidden), maskHidden.select(1, 0), maskHidden);
    }

    public override Tensor Loss(ClassifierOutput output, Tensor labels) => verbalizer.Loss(output.MaskHidden, labels);

    public override IEnumerable<(string Name, Parameter Parameter)> HeadParameters()
    {
        var result = new List<(string, Parameter)>();
        if (soft is not null) result.AddRange(soft.named_parameters().Select(p => ("soft." + p.name, p.parameter)));
        result.AddRange(verbalizer.HeadParameters().Select((p, i) => ($"verbalizer.head.{i}", p)));
        return result;
    }
}
