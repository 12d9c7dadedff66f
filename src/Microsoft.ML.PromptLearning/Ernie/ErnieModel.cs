// ERNIE 3.0 / BERT masked language model in TorchSharp, one file read top to bottom like Hugging Face's
// modeling_ernie.py: embeddings -> self-attention -> layer -> encoder -> pooler -> model -> MLM head.
// Parameter names are exactly Hugging Face's (ernie.embeddings.word_embeddings.weight, ...), so checkpoints
// in HF layout load and save as they are. Shapes: B = batch, T = sequence, H = hidden, N = heads, D = H / N.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Ernie;

/// <summary>Optional inputs of an ERNIE forward pass. Every id tensor is int64 <c>[B, T]</c>.</summary>
internal sealed class ErnieInputs
{
    /// <summary>Token ids; may be null when <see cref="InputsEmbeds"/> is given.</summary>
    public Tensor InputIds { get; init; }
    /// <summary>1 for real tokens, 0 for padding; null = attend everywhere.</summary>
    public Tensor AttentionMask { get; init; }
    /// <summary>Segment ids; null = zeros.</summary>
    public Tensor TokenTypeIds { get; init; }
    /// <summary>Position ids; null = 0..T-1.</summary>
    public Tensor PositionIds { get; init; }
    /// <summary>Task-type ids (ERNIE 3.0); null = zeros.</summary>
    public Tensor TaskTypeIds { get; init; }
    /// <summary>Word embeddings to use instead of looking up <see cref="InputIds"/> (float <c>[B, T, H]</c>); soft prompts use this.</summary>
    public Tensor InputsEmbeds { get; init; }
    /// <summary>
    /// Positions whose output is needed (int64 <c>[B, M]</c>); null = all. When given, the last layer runs only there
    /// (attending over the whole sequence) and <see cref="ErnieOutput.LastHiddenState"/> is <c>[B, M, H]</c>. Heads that
    /// read a few positions ([MASK] slots, [CLS]) save most of the last layer's work this way.
    /// </summary>
    public Tensor OutputPositions { get; init; }
}

/// <summary>What the encoder returns.</summary>
/// <param name="LastHiddenState">Output of the last layer <c>[B, T, H]</c>, or <c>[B, M, H]</c> with <see cref="ErnieInputs.OutputPositions"/>.</param>
/// <param name="PooledOutput">tanh(dense(first returned position)) <c>[B, H]</c>: [CLS] unless output positions say otherwise.</param>
/// <param name="HiddenStates">Embedding output followed by every layer's output (L + 1 tensors <c>[B, T, H]</c>).</param>
internal sealed record ErnieOutput(Tensor LastHiddenState, Tensor PooledOutput, IReadOnlyList<Tensor> HiddenStates);

internal static class Activations
{
    public static Tensor Apply(string name, Tensor x) => name switch
    {
        "gelu" => nn.functional.gelu(x),                                        // exact: x * Φ(x) with erf
        "gelu_new" or "gelu_fast" or "gelu_pytorch_tanh" => nn.functional.gelu(x, GELU.Approximate.tanh),
        "relu" => nn.functional.relu(x),
        _ => throw new NotSupportedException($"Activation '{name}' is not supported."),
    };
}

/// <summary>word + position + token type (+ task type) embeddings, then LayerNorm and dropout.</summary>
internal sealed class ErnieEmbeddings : nn.Module
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly Embedding task_type_embeddings;   // null unless config.UseTaskId
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    internal ErnieEmbeddings(ErnieConfig config) : base(nameof(ErnieEmbeddings))
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        if (config.UseTaskId) task_type_embeddings = nn.Embedding(config.TaskTypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>The word-embedding table <c>[V, H]</c>; the MLM decoder shares it.</summary>
    public Parameter WordEmbeddingWeight => word_embeddings.weight;

    /// <summary>Looks up word embeddings <c>[B, T] -> [B, T, H]</c>.</summary>
    public Tensor EmbedWords(Tensor inputIds) => word_embeddings.forward(inputIds);

    internal Tensor forward(ErnieInputs x)
    {
        var words = x.InputsEmbeds ?? word_embeddings.forward(x.InputIds);                 // [B, T, H]
        long batch = words.shape[0], length = words.shape[1];
        var device = words.device;
        var positions = x.PositionIds ?? arange(length, dtype: int64, device: device).unsqueeze(0).expand(batch, length);
        var tokenTypes = x.TokenTypeIds ?? zeros(batch, length, dtype: int64, device: device);
        var sum = words + position_embeddings.forward(positions) + token_type_embeddings.forward(tokenTypes);
        if (task_type_embeddings is not null)
            sum = sum + task_type_embeddings.forward(x.TaskTypeIds ?? zeros(batch, length, dtype: int64, device: device));
        return dropout.forward(LayerNorm.forward(sum));                                   // [B, T, H]
    }
}

/// <summary>Multi-head scaled dot-product self-attention (queries, keys and values from the same states).</summary>
internal sealed class ErnieSelfAttention : nn.Module
{
    private readonly Linear query, key, value;
    private readonly Dropout dropout;
    private readonly int heads, headSize;

    internal ErnieSelfAttention(ErnieConfig config) : base(nameof(ErnieSelfAttention))
    {
        heads = config.NumAttentionHeads;
        headSize = config.HeadSize;
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = nn.Dropout(config.AttentionProbsDropoutProb);
        RegisterComponents();
    }

    private Tensor SplitHeads(Tensor x) => x.view(x.shape[0], x.shape[1], heads, headSize).transpose(1, 2);   // [B, N, T, D]

    /// <summary>Self-attention of <paramref name="queries"/> (<c>[B, Q, H]</c>; Q = T when they are the hidden states themselves) over all positions of <paramref name="hidden"/>.</summary>
    /// <param name="hidden"><c>[B, T, H]</c></param>
    /// <param name="additiveMask"><c>[B, 1, 1, T]</c>: 0 where a key may be attended, a large negative number where not; or null.</param>
    /// <param name="queries">The states that attend: <c>[B, Q, H]</c>.</param>
    internal Tensor forward(Tensor hidden, Tensor additiveMask, Tensor queries)
    {
        var q = SplitHeads(query.forward(queries));                                        // [B, N, Q, D]
        var k = SplitHeads(key.forward(hidden));                                           // [B, N, T, D]
        var v = SplitHeads(value.forward(hidden));
        var scores = matmul(q, k.transpose(-1, -2)) / Math.Sqrt(headSize);                // [B, N, Q, T]
        if (additiveMask is not null) scores = scores + additiveMask;
        var probs = dropout.forward(nn.functional.softmax(scores, -1));
        var context = matmul(probs, v);                                                    // [B, N, Q, D]
        return context.transpose(1, 2).contiguous().view(queries.shape[0], queries.shape[1], heads * headSize);  // [B, Q, H]
    }
}

/// <summary>dense -> dropout -> LayerNorm(x + residual): closes both sub-layers of a post-LN Transformer layer.</summary>
internal sealed class ErnieResidualOutput : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    internal ErnieResidualOutput(ErnieConfig config, int inputSize) : base(nameof(ErnieResidualOutput))
    {
        dense = nn.Linear(inputSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    internal Tensor forward(Tensor x, Tensor residual) => LayerNorm.forward(dropout.forward(dense.forward(x)) + residual);
}

/// <summary>Self-attention followed by its output projection (HF: <c>attention.self</c> + <c>attention.output</c>).</summary>
internal sealed class ErnieAttention : nn.Module
{
    private readonly ErnieSelfAttention self;
    private readonly ErnieResidualOutput output;

    internal ErnieAttention(ErnieConfig config) : base(nameof(ErnieAttention))
    {
        self = new ErnieSelfAttention(config);
        output = new ErnieResidualOutput(config, config.HiddenSize);
        RegisterComponents();
    }

    internal Tensor forward(Tensor hidden, Tensor additiveMask, Tensor queries) => output.forward(self.forward(hidden, additiveMask, queries), queries);
}

/// <summary>The feed-forward expansion (HF: <c>intermediate</c>).</summary>
internal sealed class ErnieIntermediate : nn.Module
{
    private readonly Linear dense;
    private readonly string activation;

    internal ErnieIntermediate(ErnieConfig config) : base(nameof(ErnieIntermediate))
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        activation = config.HiddenAct;
        RegisterComponents();
    }

    internal Tensor forward(Tensor x) => Activations.Apply(activation, dense.forward(x));   // [B, T, I]
}

/// <summary>One post-LN Transformer encoder layer.</summary>
internal sealed class ErnieLayer : nn.Module
{
    private readonly ErnieAttention attention;
    private readonly ErnieIntermediate intermediate;
    private readonly ErnieResidualOutput output;

    internal ErnieLayer(ErnieConfig config) : base(nameof(ErnieLayer))
    {
        attention = new ErnieAttention(config);
        intermediate = new ErnieIntermediate(config);
        output = new ErnieResidualOutput(config, config.IntermediateSize);
        RegisterComponents();
    }

    /// <summary>One layer for <paramref name="queries"/> (<c>[B, Q, H]</c>, by default all positions of <paramref name="hidden"/>).</summary>
    internal Tensor forward(Tensor hidden, Tensor additiveMask, Tensor queries = null)
    {
        var attended = attention.forward(hidden, additiveMask, queries ?? hidden);          // [B, Q, H]
        return output.forward(intermediate.forward(attended), attended);                    // [B, Q, H]
    }
}

/// <summary>The stack of encoder layers.</summary>
internal sealed class ErnieEncoder : nn.Module
{
    private readonly ModuleList<ErnieLayer> layer;

    internal ErnieEncoder(ErnieConfig config) : base(nameof(ErnieEncoder))
    {
        layer = new ModuleList<ErnieLayer>(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new ErnieLayer(config)).ToArray());
        RegisterComponents();
    }

    /// <summary>Returns the input followed by every layer's output.</summary>
    /// <summary>
    /// Runs every layer. With <paramref name="outputPositions"/> (<c>[B, M]</c>) the last layer is computed only at those
    /// positions, its keys and values still covering the whole sequence, so the last state is <c>[B, M, H]</c>: the same
    /// numbers as gathering them from the full output, for about a fifth less work when a head reads only a few positions.
    /// </summary>
    internal List<Tensor> forward(Tensor hidden, Tensor additiveMask, Tensor outputPositions)
    {
        var states = new List<Tensor>(layer.Count + 1) { hidden };
        for (int i = 0; i < layer.Count; i++)
        {
            var queries = i == layer.Count - 1 && outputPositions is not null
                ? hidden.gather(1, outputPositions.unsqueeze(-1).expand(-1, -1, hidden.shape[2]))   // [B, M, H]
                : null;
            hidden = layer[i].forward(hidden, additiveMask, queries);
            states.Add(hidden);
        }
        return states;
    }
}

/// <summary>tanh(dense(hidden state of the first token)).</summary>
internal sealed class ErniePooler : nn.Module
{
    private readonly Linear dense;

    internal ErniePooler(ErnieConfig config) : base(nameof(ErniePooler))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    internal Tensor forward(Tensor hidden) => tanh(dense.forward(hidden.select(1, 0)));     // [B, H]
}

/// <summary>The ERNIE encoder: embeddings, Transformer layers and pooler (HF <c>ErnieModel</c>).</summary>
internal sealed class ErnieModel : nn.Module
{
    private readonly ErnieEmbeddings embeddings;
    private readonly ErnieEncoder encoder;
    private readonly ErniePooler pooler;

    /// <summary>Creates a randomly initialised encoder for <paramref name="config"/>.</summary>
    public ErnieModel(ErnieConfig config) : base(nameof(ErnieModel))
    {
        config.Validate();
        Config = config;
        embeddings = new ErnieEmbeddings(config);
        encoder = new ErnieEncoder(config);
        pooler = new ErniePooler(config);
        RegisterComponents();
    }

    /// <summary>The configuration the model was built from.</summary>
    public ErnieConfig Config { get; }

    /// <summary>The embedding layer (soft prompts read and write word embeddings through it).</summary>
    public ErnieEmbeddings Embeddings => embeddings;

    /// <summary>Runs the encoder.</summary>
    public ErnieOutput forward(ErnieInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.InputIds is null && inputs.InputsEmbeds is null)
            throw new ArgumentException("Give either InputIds or InputsEmbeds.", nameof(inputs));
        var hidden = embeddings.forward(inputs);                                            // [B, T, H]
        Tensor additiveMask = null;
        if (inputs.AttentionMask is not null)
        {
            // 1 -> 0 (attend), 0 -> float.MinValue (ignore), broadcast over heads and query positions: [B, 1, 1, T]
            var keep = inputs.AttentionMask.to(hidden.dtype).unsqueeze(1).unsqueeze(2);
            additiveMask = (1.0f - keep) * torch.finfo(hidden.dtype).min;
        }
        var states = encoder.forward(hidden, additiveMask, inputs.OutputPositions);
        var last = states[^1];
        return new ErnieOutput(last, pooler.forward(last), states);
    }
}

/// <summary>dense -> activation -> LayerNorm applied before the vocabulary projection (HF <c>cls.predictions.transform</c>).</summary>
internal sealed class ErniePredictionHeadTransform : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly string activation;

    internal ErniePredictionHeadTransform(ErnieConfig config) : base(nameof(ErniePredictionHeadTransform))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        activation = config.HiddenAct;
        RegisterComponents();
    }

    internal Tensor forward(Tensor x) => LayerNorm.forward(Activations.Apply(activation, dense.forward(x)));
}

/// <summary>Transform, then the vocabulary projection (decoder tied to the word embeddings unless the config unties it) plus bias.</summary>
internal sealed class ErnieLMPredictionHead : nn.Module
{
    private readonly ErniePredictionHeadTransform transform;
    private readonly Parameter bias;
    private readonly Linear decoder;            // only when the decoder is not tied; weight [V, H]
    private readonly ErnieEmbeddings tiedTo;    // not a registered submodule: the weight belongs to the encoder

    internal ErnieLMPredictionHead(ErnieConfig config, ErnieEmbeddings embeddings) : base(nameof(ErnieLMPredictionHead))
    {
        transform = new ErniePredictionHeadTransform(config);
        bias = nn.Parameter(zeros(config.VocabSize));
        if (!config.TieWordEmbeddings) decoder = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
        tiedTo = embeddings;
    }

    /// <summary>The decoder matrix <c>[V, H]</c> (the word embeddings when tied).</summary>
    public Tensor DecoderWeight => decoder?.weight ?? tiedTo.WordEmbeddingWeight;

    /// <summary>The output bias <c>[V]</c>.</summary>
    public Parameter Bias => bias;

    /// <summary>The transform applied before the decoder.</summary>
    public ErniePredictionHeadTransform Transform => transform;

    /// <summary><c>[..., H] -> [..., V]</c> logits over the vocabulary.</summary>
    public Tensor forward(Tensor hidden) => nn.functional.linear(transform.forward(hidden), DecoderWeight, bias);
}

/// <summary>Container matching HF's <c>cls</c> module so that parameters are named <c>cls.predictions.*</c>.</summary>
internal sealed class ErnieOnlyMLMHead : nn.Module
{
    private readonly ErnieLMPredictionHead predictions;

    internal ErnieOnlyMLMHead(ErnieConfig config, ErnieEmbeddings embeddings) : base(nameof(ErnieOnlyMLMHead))
    {
        predictions = new ErnieLMPredictionHead(config, embeddings);
        RegisterComponents();
    }

    /// <summary>The prediction head.</summary>
    public ErnieLMPredictionHead Predictions => predictions;
}

/// <summary>ERNIE with its masked-language-model head (HF <c>ErnieForMaskedLM</c>; BERT checkpoints load into it too).</summary>
public sealed class ErnieForMaskedLM : nn.Module
{
    private readonly ErnieModel ernie;
    private readonly ErnieOnlyMLMHead cls;

    /// <summary>Creates a randomly initialised model (BERT-style init: normal(0, 0.02) weights, zero biases, unit LayerNorms).</summary>
    public ErnieForMaskedLM(ErnieConfig config) : base(nameof(ErnieForMaskedLM))
    {
        ernie = new ErnieModel(config);
        cls = new ErnieOnlyMLMHead(config, ernie.Embeddings);
        RegisterComponents();
        InitializeWeights(0.02);
        this.KeepOutOfDisposeScopes();
    }

    /// <summary>The configuration the model was built from.</summary>
    public ErnieConfig Config => ernie.Config;

    /// <summary>The encoder.</summary>
    internal ErnieModel Ernie => ernie;

    /// <summary>The MLM head.</summary>
    internal ErnieLMPredictionHead Head => cls.Predictions;

    /// <summary>Runs the encoder and returns its hidden states (no vocabulary projection).</summary>
    internal ErnieOutput Encode(ErnieInputs inputs) => ernie.forward(inputs);

    /// <summary>Vocabulary logits for every position: <c>[B, T, V]</c>.</summary>
    internal Tensor forward(ErnieInputs inputs) => cls.Predictions.forward(ernie.forward(inputs).LastHiddenState);

    /// <summary>
    /// Vocabulary logits only at the given positions: <paramref name="hidden"/> <c>[B, T, H]</c>, <paramref name="flatPositions"/> int64 <c>[M]</c>
    /// indexing the flattened <c>B·T</c> positions; returns <c>[M, V]</c>. Gathering before the projection avoids the <c>B·T·V</c> cost.
    /// </summary>
    public Tensor PredictAt(Tensor hidden, Tensor flatPositions)
    {
        var flat = hidden.reshape(-1, hidden.shape[^1]);                                    // [B*T, H]
        return cls.Predictions.forward(flat.index_select(0, flatPositions));                // [M, V]
    }

    private void InitializeWeights(double std)
    {
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("LayerNorm.weight")) p.fill_(1.0);
            else if (name.EndsWith("bias")) p.zero_();
            else p.normal_(0, std);
        }
        var pad = Config.PadTokenId;
        if (pad >= 0 && pad < Config.VocabSize) ernie.Embeddings.WordEmbeddingWeight[pad].zero_();
    }
}
