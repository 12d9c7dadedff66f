using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>
/// The trainable vectors of a template's <c>{'soft'}</c> parts (PaddleNLP's <c>SoftTemplate</c>): S vectors of the model's
/// hidden width, started from the word embeddings of the init text's tokens (<c>{'soft': '请判断'}</c>) or at random
/// (<c>{'soft'}</c>, and the extra vectors when <c>length</c> exceeds the text), optionally re-parameterised by an LSTM or
/// MLP encoder. <see cref="Embed"/> puts them in place of the word embeddings at soft positions.
/// </summary>
/// <remarks>
/// All soft parts with the same encoder form one sequence, in slot order, that goes through one shared network, as in
/// PaddleNLP. A <c>soft_id</c> shared by several parts is one slot, so it gets exactly one vector everywhere (PaddleNLP
/// re-encodes each occurrence, so with an LSTM its copies could differ). The encoded vectors do not depend on the text:
/// <see cref="EncodeConstants"/> gives them once for export. Random vectors are drawn from a normal distribution with
/// the standard deviation of the model's word embeddings, so they start on the scale the model expects.
/// </remarks>
public sealed class SoftPromptEmbedding : nn.Module
{
    private readonly Parameter soft_embeddings;            // [S, H]
    private readonly SoftLstmEncoder lstm_encoder;         // null unless a soft part says 'encoder': 'lstm'
    private readonly SoftMlpEncoder mlp_encoder;           // null unless a soft part says 'encoder': 'mlp'
    private readonly long[] lstmSlots, mlpSlots;

    /// <summary>Creates the vectors for <paramref name="template"/>, initialised from <paramref name="model"/>'s word embeddings.</summary>
    /// <exception cref="ArgumentException">The template has no soft parts.</exception>
    public SoftPromptEmbedding(Template template, ErnieTokenizer tokenizer, ErnieForMaskedLM model) : base(nameof(SoftPromptEmbedding))
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(model);
        if (!template.HasSoftParts) throw new ArgumentException($"The template {template} has no {{'soft'}} parts, so it has no soft vectors.", nameof(template));
        var layout = SoftTokenLayout.Create(template, tokenizer);
        var words = model.Ernie.Embeddings.WordEmbeddingWeight;                                 // [V, H]
        HiddenSize = (int)words.shape[1];
        Count = layout.Count;

        using (no_grad())
        {
            var std = words.std().item<float>();
            var init = empty(Count, HiddenSize, dtype: words.dtype, device: words.device);
            init.normal_(0, std > 0 ? std : 0.02);
            for (int s = 0; s < Count; s++)
                if (layout.InitWordIds[s] >= 0) init[s].copy_(words[layout.InitWordIds[s]]);
            soft_embeddings = nn.Parameter(init);
        }

        lstmSlots = SlotsOf(layout, SoftEncoderKind.Lstm);
        mlpSlots = SlotsOf(layout, SoftEncoderKind.Mlp);
        if (lstmSlots.Length > 0) lstm_encoder = new SoftLstmEncoder(HiddenSize, layout.LstmHiddenSize ?? HiddenSize, words.device);
        if (mlpSlots.Length > 0) mlp_encoder = new SoftMlpEncoder(HiddenSize, layout.MlpHiddenSize ?? HiddenSize, words.device);
        RegisterComponents();
        this.KeepOutOfDisposeScopes();
    }

    /// <summary>Number of soft vectors S (soft token ids run 1..S).</summary>
    public int Count { get; }

    /// <summary>Width H of every vector (the model's hidden size).</summary>
    public int HiddenSize { get; }

    /// <summary>The raw vectors <c>[S, H]</c> before any encoder.</summary>
    public Parameter Vectors => soft_embeddings;

    private static long[] SlotsOf(SoftTokenLayout layout, SoftEncoderKind kind) =>
        Enumerable.Range(0, layout.Count).Where(s => layout.SlotEncoders[s] == kind).Select(s => (long)s).ToArray();

    /// <summary>The vectors the model receives <c>[S, H]</c>: the raw vectors passed through their encoders (differentiable).</summary>
    public Tensor EncodeConstants()
    {
        Tensor result = soft_embeddings;
        result = Encode(result, lstmSlots, lstm_encoder);
        result = Encode(result, mlpSlots, mlp_encoder);
        return result;
    }

    private Tensor Encode(Tensor vectors, long[] slots, nn.Module<Tensor, Tensor> encoder)
    {
        if (slots.Length == 0) return vectors;
        var index = tensor(slots, dtype: int64, device: vectors.device);
        var encoded = encoder.forward(soft_embeddings.index_select(0, index).unsqueeze(0)).squeeze(0);   // [n, H]
        return vectors.index_copy(0, index, encoded);
    }

    /// <summary>
    /// Replaces the word embeddings at soft positions: <paramref name="wordEmbeds"/> <c>[B, T, H]</c>,
    /// <paramref name="softTokenIds"/> int64 <c>[B, T]</c> (0 = keep the word embedding, k ≥ 1 = soft vector k-1).
    /// Returns <c>[B, T, H]</c>; gradients reach the soft vectors (and encoders) and the word embeddings at the other positions.
    /// </summary>
    public Tensor Embed(Tensor wordEmbeds, Tensor softTokenIds)
    {
        ArgumentNullException.ThrowIfNull(wordEmbeds);
        ArgumentNullException.ThrowIfNull(softTokenIds);
        if (wordEmbeds.dim() != 3 || wordEmbeds.shape[2] != HiddenSize)
            throw new ArgumentException($"wordEmbeds must be [batch, tokens, {HiddenSize}] but is [{string.Join(", ", wordEmbeds.shape)}].", nameof(wordEmbeds));
        if (softTokenIds.dtype != int64 || softTokenIds.dim() != 2 || softTokenIds.shape[0] != wordEmbeds.shape[0] || softTokenIds.shape[1] != wordEmbeds.shape[1])
            throw new ArgumentException($"softTokenIds must be int64 [{wordEmbeds.shape[0]}, {wordEmbeds.shape[1]}] but is {softTokenIds.dtype} [{string.Join(", ", softTokenIds.shape)}].", nameof(softTokenIds));
        if (softTokenIds.numel() > 0)
        {
            long min = softTokenIds.min().item<long>(), max = softTokenIds.max().item<long>();
            if (min < 0 || max > Count)
                throw new ArgumentOutOfRangeException(nameof(softTokenIds), $"Soft token ids must lie in 0..{Count}; got {(min < 0 ? min : max)} (encoded with another template?).");
        }
        var vectors = EncodeConstants().to(wordEmbeds.dtype);                                      // [S, H]
        var table = cat(new[] { zeros(1, HiddenSize, dtype: vectors.dtype, device: vectors.device), vectors }, 0);   // [S+1, H]
        long batch = wordEmbeds.shape[0], length = wordEmbeds.shape[1];
        var soft = table.index_select(0, softTokenIds.reshape(-1)).view(batch, length, HiddenSize);   // [B, T, H]
        return where(softTokenIds.unsqueeze(-1) > 0, soft, wordEmbeds);
    }

    /// <summary>Writes the parameters (safetensors) to a stream; the template defines the layout.</summary>
    public void SaveState(Stream stream) => ModuleState.Save(this, stream);

    /// <summary>Reads parameters written by <see cref="SaveState"/> for the same template and model width.</summary>
    /// <exception cref="InvalidDataException">A parameter is missing or has the wrong shape.</exception>
    public void LoadState(Stream stream, string name = "soft prompt state") => ModuleState.Load(this, stream, name);
}
