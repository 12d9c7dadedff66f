using Microsoft.ML.PromptLearning.Ernie;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Inference;

/// <summary>What a classifier computes for a batch.</summary>
/// <param name="Logits">Class scores <c>[B, C]</c> whose softmax is the class probability.</param>
/// <param name="Features">One vector per example <c>[B, H]</c> (used by the RGL loss).</param>
/// <param name="MaskHidden">Hidden states at the [MASK] slots <c>[B, M, H]</c>, or null for models without masks.</param>
internal sealed record ClassifierOutput(Tensor Logits, Tensor Features, Tensor MaskHidden);

/// <summary>A text classifier on top of a pretrained ERNIE: the prompt model (template + verbalizer) or the fine-tune baseline.</summary>
internal abstract class ClassifierNet : nn.Module
{
    protected ClassifierNet(string name) : base(name) { }

    /// <summary>The pretrained language model inside.</summary>
    public abstract ErnieForMaskedLM Plm { get; }

    /// <summary>Number of classes C.</summary>
    public abstract int ClassCount { get; }

    /// <summary>Runs the model on a batch.</summary>
    public abstract ClassifierOutput Forward(ClassifierBatch batch);

    /// <summary>Training loss for a labelled batch; the default is cross-entropy on the logits.</summary>
    public virtual Tensor Loss(ClassifierOutput output, Tensor labels) => nn.functional.cross_entropy(output.Logits, labels);

    /// <summary>Parameters that are not part of the PLM (soft prompts, verbalizer head, classifier): trained at the prompt learning rate.</summary>
    public abstract IEnumerable<(string Name, Parameter Parameter)> HeadParameters();

    /// <summary>PLM parameters that the head reuses but that train at the PLM rate (e.g. the MLM transform for the soft verbalizer) are simply PLM parameters; this lists every PLM parameter.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> PlmParameters()
    {
        var head = new HashSet<Parameter>(HeadParameters().Select(p => p.Parameter), ReferenceEqualityComparer.Instance);
        return Plm.named_parameters().Where(p => !head.Contains(p.parameter)).Select(p => (p.name, p.parameter));
    }

    /// <summary>Puts the model in training mode; with <paramref name="freezeDropout"/> the PLM stays in eval mode (no dropout).</summary>
    public void TrainMode(bool freezeDropout)
    {
        train();
        if (freezeDropout) Plm.eval();
    }
}
