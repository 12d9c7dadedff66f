using Microsoft.ML.PromptLearning.FineTuning;
using Microsoft.ML.PromptLearning.Inference;

namespace Microsoft.ML.PromptLearning.Onnx;

/// <summary>
/// The task-specific end of an exported classifier. The exporter emits the shared ERNIE encoder with
/// <see cref="ErnieOnnxGraph"/> and asks the head for (1) the extra inputs it needs, (2) the word embeddings fed to the
/// encoder (a prompt head writes its soft prompt vectors into their slots here) and (3) the class logits <c>[B, C]</c>
/// computed from the last hidden state; the exporter adds the softmax and the <c>probabilities</c> output.
/// </summary>
internal abstract class OnnxClassifierHead
{
    /// <summary>Short name written to the <c>model_kind</c> metadata (e.g. <c>fine-tune</c>, <c>prompt</c>).</summary>
    public abstract string Kind { get; }

    /// <summary>
    /// How a scorer turns text into the graph's inputs, written to the <c>input_encoding</c> metadata and read by
    /// <see cref="OnnxModelMetadata.CreateInputEncoder"/>: <see cref="TextPairInputEncoder.EncodingName"/> or <see cref="Prompting.PromptInputEncoder.EncodingName"/>.
    /// </summary>
    public abstract string InputEncoding { get; }

    /// <summary>Inputs besides input_ids, attention_mask and token_type_ids.</summary>
    public virtual OnnxExtraInputs ExtraInputs => OnnxExtraInputs.None;

    /// <summary>The word embeddings <c>[B, T, H]</c> fed to the encoder; by default a lookup of input_ids.</summary>
    public virtual string WordEmbeddings(ErnieOnnxGraph g) => g.WordEmbeddings();

    /// <summary>
    /// The rows the head reads, picked from the last layer's input <c>[B, T, H] → [B, Q, H]</c>; the last layer is computed
    /// only for them. The default keeps every row (Q = T).
    /// </summary>
    public virtual string OutputRows(ErnieOnnxGraph g, string hidden) => hidden;

    /// <summary>Emits the head on the last layer's output at <see cref="OutputRows"/> (<c>[B, Q, H]</c>); returns the name of the class logits <c>[B, C]</c> in <see cref="ErnieOnnxGraph.ComputeType"/>.</summary>
    public abstract string Logits(ErnieOnnxGraph g, string rows);

    /// <summary>Adds the head's own metadata (e.g. the template of a prompt model).</summary>
    public virtual void AddMetadata(OnnxGraphBuilder builder) { }
}

/// <summary>
/// The fine-tune baseline: pooled vector (pooler tanh(dense([CLS])), [CLS] itself, or the masked mean of all tokens) →
/// classifier <c>Linear(H, C)</c>; dropout is the identity at inference.
/// </summary>
internal sealed class FineTuneOnnxHead : OnnxClassifierHead
{
    private readonly FineTuneClassifier net;

    public FineTuneOnnxHead(FineTuneClassifier net) => this.net = net;

    public override string Kind => "fine-tune";
    public override string InputEncoding => TextPairInputEncoder.EncodingName;

    // the mean reads every row; the pooler and [CLS] read the first one only
    public override string OutputRows(ErnieOnnxGraph g, string hidden) => net.Pooling == FineTunePooling.Mean ? hidden : g.FirstRow(hidden);   // [B, T or 1, H]

    public override string Logits(ErnieOnnxGraph g, string rows)
    {
        var parameters = net.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var pooled = net.Pooling switch                                                                           // [B, H]
        {
            FineTunePooling.Pooler => g.Pooler(rows),
            FineTunePooling.Cls => g.FirstToken(rows),
            _ => g.MaskedMean(rows),
        };
        return g.Linear(pooled, parameters["classifier.weight"], parameters["classifier.bias"], "classifier", quantize: false);   // [B, C]
    }
}
