using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Tokenization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>
/// PaddleNLP's <c>SoftVerbalizer</c> (WARP), the default of its few-shot classification apps: the MLM head's
/// hidden→vocabulary decoder is replaced by a hidden→label linear layer whose row for each label starts as the decoder row
/// of the label's first word (mean over the word's tokens) and whose bias starts at zero. The PLM's own head transform
/// (dense, activation, LayerNorm) still runs before it and trains with the PLM; the new layer
/// (<see cref="HeadParameters"/>) trains with the prompt learning rate.
/// </summary>
/// <remarks>
/// With several masks every mask is scored and the scores are averaged (PaddleNLP returns per-mask scores that its loss
/// cannot use). PaddleNLP deep-copies the head transform into the verbalizer and detaches the PLM's head; sharing the PLM's
/// transform trains the same weights, which are then saved with the PLM.
/// </remarks>
public sealed class SoftVerbalizer : Verbalizer
{
    private readonly Linear decoder;

    /// <summary>Creates the verbalizer on the device of the model's decoder.</summary>
    /// <exception cref="ArgumentException">A first label word tokenizes to [UNK] or has no tokens.</exception>
    public SoftVerbalizer(LabelWords labelWords, ErnieForMaskedLM model, ErnieTokenizer tokenizer)
        : base(nameof(SoftVerbalizer), labelWords, model, tokenizer)
    {
        var words = LabelWordTokens.Create(labelWords, tokenizer, maxWordsPerLabel: 1);
        var weight = model.Head.DecoderWeight;                                                     // [V, H]
        decoder = nn.Linear(model.Config.HiddenSize, labelWords.Count, hasBias: true, device: weight.device, dtype: weight.dtype);
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            var rows = new List<Tensor>();
            foreach (var label in words.Tokens)
                rows.Add(weight.index_select(0, tensor(label[0].Select(i => (long)i).ToArray(), dtype: int64, device: weight.device)).mean(new long[] { 0 }));
            decoder.weight.copy_(stack(rows));                                                     // [C, H]
            decoder.bias.zero_();
        }
        RegisterComponents();
        this.KeepOutOfDisposeScopes();
    }

    /// <inheritdoc />
    public override PromptVerbalizerKind Kind => PromptVerbalizerKind.Soft;

    /// <summary>The hidden→label layer: weight <c>[C, H]</c>, bias <c>[C]</c>.</summary>
    public Linear Decoder => decoder;

    /// <inheritdoc />
    public override Tensor LabelLogits(Tensor maskHidden)
    {
        CheckMaskHidden(maskHidden);
        var logits = decoder.forward(Model.Head.Transform.forward(maskHidden));                  // [B, M, C]
        return logits.shape[1] == 1 ? logits.squeeze(1) : logits.mean(new long[] { 1 });        // [B, C]
    }

    /// <inheritdoc />
    public override IEnumerable<Parameter> HeadParameters() => decoder.parameters();
}
