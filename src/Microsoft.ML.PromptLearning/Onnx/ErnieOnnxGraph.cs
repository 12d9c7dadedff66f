using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.Ernie;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Onnx;

/// <summary>Optional graph inputs a classifier head may need besides <c>input_ids</c>, <c>attention_mask</c> and <c>token_type_ids</c>.</summary>
[Flags]
internal enum OnnxExtraInputs
{
    None = 0,
    /// <summary><c>position_ids</c> int64 [batch, sequence] (templates that restart or skip positions).</summary>
    PositionIds = 1,
    /// <summary><c>mask_positions</c> int64 [batch, masks]: the indices of the [MASK] slots the verbalizer reads.</summary>
    MaskPositions = 2,
    /// <summary><c>soft_token_ids</c> int64 [batch, sequence]: 0 = ordinary token, k ≥ 1 = soft prompt vector k-1.</summary>
    SoftTokenIds = 4,
}

/// <summary>
/// Emits the ERNIE encoder of a <see cref="ErnieForMaskedLM"/> into an <see cref="OnnxGraphBuilder"/> as standard opset-17
/// operators, mirroring <c>ErnieModel.cs</c> step by step (embeddings → post-LN layers → pooler), plus the pieces that
/// classifier heads reuse (gathering the hidden states at [MASK] slots, the MLM transform and decoder rows).
/// Shapes: B = batch, T = sequence, H = hidden, N = heads, D = H / N; B and T are symbolic.
/// </summary>
/// <remarks>
/// Precision: <see cref="OnnxPrecision.Float32"/> computes like TorchSharp; <see cref="OnnxPrecision.Float16"/> stores
/// and computes in float16 (for GPUs; int64 inputs and float32 probabilities are unchanged); <see cref="OnnxPrecision.Int8"/>
/// keeps activations float32 and replaces the encoder's large matrix products by dynamically quantized int8 products
/// with symmetric per-output-channel 7-bit weights (see <see cref="OnnxInt8Kernel"/> and <see cref="OnnxQuantization.MatMulIntegerWeightLimit"/>); the word-embedding table is stored
/// as int8 rows with one scale per row.
/// </remarks>
internal sealed class ErnieOnnxGraph
{
    public const string InputIdsName = PaddedBatchArrays.InputIdsName;
    public const string AttentionMaskName = PaddedBatchArrays.AttentionMaskName;
    public const string TokenTypeIdsName = PaddedBatchArrays.TokenTypeIdsName;
    public const string PositionIdsName = PaddedBatchArrays.PositionIdsName;
    public const string MaskPositionsName = PaddedBatchArrays.MaskPositionsName;
    public const string SoftTokenIdsName = PaddedBatchArrays.SoftTokenIdsName;
    public const string BatchDim = "batch";
    public const string SequenceDim = "sequence";
    public const string MaskDim = "masks";
    public const string ProbabilitiesOutput = "probabilities";

    private readonly Dictionary<string, Tensor> plmParameters;
    private readonly Dictionary<string, string> cache = new(StringComparer.Ordinal);

    public ErnieOnnxGraph(OnnxGraphBuilder builder, ErnieForMaskedLM plm, OnnxPrecision precision, OnnxInt8Kernel int8Kernel, OnnxExtraInputs extraInputs)
    {
        Builder = builder;
        Plm = plm;
        Config = plm.Config;
        Precision = precision;
        Int8Kernel = int8Kernel;
        ComputeType = precision == OnnxPrecision.Float16 ? OnnxType.Float16 : OnnxType.Float;
        plmParameters = plm.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);

        InputIds = builder.Input(InputIdsName, OnnxType.Int64, BatchDim, SequenceDim);
        AttentionMask = builder.Input(AttentionMaskName, OnnxType.Int64, BatchDim, SequenceDim);
        TokenTypeIds = builder.Input(TokenTypeIdsName, OnnxType.Int64, BatchDim, SequenceDim);
        if (extraInputs.HasFlag(OnnxExtraInputs.PositionIds)) PositionIds = builder.Input(PositionIdsName, OnnxType.Int64, BatchDim, SequenceDim);
        if (extraInputs.HasFlag(OnnxExtraInputs.MaskPositions)) MaskPositions = builder.Input(MaskPositionsName, OnnxType.Int64, BatchDim, MaskDim);
        if (extraInputs.HasFlag(OnnxExtraInputs.SoftTokenIds)) SoftTokenIds = builder.Input(SoftTokenIdsName, OnnxType.Int64, BatchDim, SequenceDim);
    }

    public OnnxGraphBuilder Builder { get; }
    public ErnieForMaskedLM Plm { get; }
    public ErnieConfig Config { get; }
    public OnnxPrecision Precision { get; }
    public OnnxInt8Kernel Int8Kernel { get; }
    /// <summary>Element type of the hidden states (float32, or float16 for a float16 export).</summary>
    public OnnxType ComputeType { get; }

    /// <summary>Graph inputs (int64); the optional ones are null unless requested.</summary>
    public string InputIds { get; }
    public string AttentionMask { get; }
    public string TokenTypeIds { get; }
    public string PositionIds { get; }
    public string MaskPositions { get; }
    public string SoftTokenIds { get; }

    private int H => Config.HiddenSize;

    // ---- weights and constants -----------------------------------------------------------------------------------

    /// <summary>A PLM parameter by its Hugging Face name (e.g. <c>ernie.pooler.dense.weight</c>).</summary>
    public Tensor PlmParameter(string name) =>
        plmParameters.TryGetValue(name, out var t) ? t : throw new InvalidOperationException($"The language model has no parameter '{name}'.");

    /// <summary>The values of a tensor as float32, row-major.</summary>
    public static float[] Data(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
    }

    /// <summary>Transposes a row-major <c>[rows, cols]</c> matrix.</summary>
    public static float[] Transpose(float[] w, int rows, int cols)
    {
        var result = new float[w.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                result[c * rows + r] = w[r * cols + c];
        return result;
    }

    /// <summary>A float initializer in the compute type (float32, or float16 for a float16 export).</summary>
    public string Weight(string name, float[] data, params long[] dims) =>
        ComputeType == OnnxType.Float16
            ? Builder.Halves(name, data.Select(v => (Half)v).ToArray(), dims)
            : Builder.Floats(name, data, dims);

    /// <summary>A scalar in the compute type, shared by every node that asks for the same value.</summary>
    public string Constant(float value) => Cached($"const:{value:R}", () =>
        ComputeType == OnnxType.Float16 ? Builder.HalfScalar("c_half", (Half)value) : Builder.Scalar("c_float", value));

    /// <summary>A shared 1-D int64 constant.</summary>
    public string LongVector(params long[] values) => Cached("i64:" + string.Join(",", values), () => Builder.LongVector("c_shape", values));

    /// <summary>A shared int64 scalar.</summary>
    public string LongScalar(long value) => Cached($"i64s:{value}", () => Builder.LongScalar("c_index", value));

    private string Cached(string key, Func<string> make)
    {
        if (!cache.TryGetValue(key, out var name)) cache[key] = name = make();
        return name;
    }

    // ---- building blocks -----------------------------------------------------------------------------------------

    /// <summary>
    /// <c>x · Wᵀ + b</c> for a torch-layout weight <c>[out, in]</c>: MatMul + Add in the compute type, or, when
    /// <paramref name="quantize"/> is set in an int8 export, a dynamically quantized int8 product.
    /// </summary>
    public string Linear(string x, Tensor weight, Tensor bias, string name, bool quantize)
    {
        int outSize = (int)weight.shape[0], inSize = (int)weight.shape[1];
        return LinearTransposed(x, Transpose(Data(weight), outSize, inSize), inSize, outSize, bias is null ? null : Data(bias), name, quantize);
    }

    /// <summary><c>x · W + b</c> for <paramref name="weightInOut"/> laid out <c>[in, out]</c> (ONNX MatMul layout).</summary>
    public string LinearTransposed(string x, float[] weightInOut, int inSize, int outSize, float[] bias, string name, bool quantize)
    {
        if (quantize && Precision == OnnxPrecision.Int8)
            return OnnxQuantization.QuantizedLinear(this, x, weightInOut, inSize, outSize, bias, name);
        var y = Builder.Node("MatMul", [x, Weight(name + ".weight", weightInOut, inSize, outSize)], name + ".matmul");
        return bias is null ? y : Builder.Node("Add", [y, Weight(name + ".bias", bias, outSize)], name + ".out");
    }

    /// <summary>LayerNormalization over the last axis with the weight and bias of the torch LayerNorm named <paramref name="prefix"/>.</summary>
    public string LayerNorm(string x, string prefix) =>
        Builder.Node("LayerNormalization",
            [x, Weight(prefix + ".weight", Data(PlmParameter(prefix + ".weight")), H), Weight(prefix + ".bias", Data(PlmParameter(prefix + ".bias")), H)],
            prefix, ("axis", -1L), ("epsilon", (float)Config.LayerNormEps));

    /// <summary>The configured activation: exact GELU <c>0.5·x·(1 + erf(x/√2))</c>, the tanh approximation, or ReLU.</summary>
    public string Activation(string x, string name)
    {
        switch (Config.HiddenAct)
        {
            case "gelu":
            {
                // Written as ONNX Runtime's GeluFusion expects it (Div by √2), so it becomes one Gelu kernel there.
                var scaled = Builder.Node("Div", [x, Constant((float)Math.Sqrt(2))], name + ".gelu_scaled");
                var erf = Builder.Node("Erf", [scaled], name + ".gelu_erf");
                var onePlus = Builder.Node("Add", [erf, Constant(1f)], name + ".gelu_1p");
                var times = Builder.Node("Mul", [x, onePlus], name + ".gelu_mul");
                return Builder.Node("Mul", [times, Constant(0.5f)], name + ".gelu");
            }
            case "gelu_new" or "gelu_fast" or "gelu_pytorch_tanh":
            {
                // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
                var cube = Builder.Node("Mul", [Builder.Node("Mul", [x, x], name + ".sq"), x], name + ".cube");
                var inner = Builder.Node("Add", [x, Builder.Node("Mul", [cube, Constant(0.044715f)], name + ".cube_s")], name + ".inner");
                var tanh = Builder.Node("Tanh", [Builder.Node("Mul", [inner, Constant((float)Math.Sqrt(2 / Math.PI))], name + ".inner_s")], name + ".tanh");
                var onePlus = Builder.Node("Add", [tanh, Constant(1f)], name + ".tanh_1p");
                return Builder.Node("Mul", [Builder.Node("Mul", [x, onePlus], name + ".gelu_tanh_mul"), Constant(0.5f)], name + ".gelu_tanh");
            }
            case "relu":
                return Builder.Node("Relu", [x], name + ".relu");
            default:
                throw new NotSupportedException($"Activation '{Config.HiddenAct}' cannot be exported.");
        }
    }

    // ---- the encoder ---------------------------------------------------------------------------------------------

    /// <summary>Word embeddings of <see cref="InputIds"/>: <c>[B, T, H]</c>.</summary>
    public string WordEmbeddings()
    {
        var table = PlmParameter("ernie.embeddings.word_embeddings.weight");
        if (Precision == OnnxPrecision.Int8) return OnnxQuantization.QuantizedEmbedding(this, table, InputIds, "ernie.embeddings.word_embeddings");
        var name = Weight("ernie.embeddings.word_embeddings.weight", Data(table), table.shape[0], table.shape[1]);
        return Builder.Node("Gather", [name, InputIds], "word_embeddings", ("axis", 0L));
    }

    /// <summary>
    /// word + position + token-type (+ task-type row 0, as TorchSharp uses zeros when no task ids are given) embeddings,
    /// then LayerNorm: <c>[B, T, H]</c>. Positions are <see cref="PositionIds"/> when the graph has that input, else 0..T-1.
    /// </summary>
    public string Embeddings(string wordEmbeddings)
    {
        const string p = "ernie.embeddings.";
        var posTable = PlmParameter(p + "position_embeddings.weight");
        var posName = Weight(p + "position_embeddings.weight", Data(posTable), posTable.shape[0], posTable.shape[1]);
        string positions;
        if (PositionIds is not null)
        {
            positions = Builder.Node("Gather", [posName, PositionIds], "position_embeddings", ("axis", 0L));      // [B, T, H]
        }
        else
        {
            var shape = Builder.Node("Shape", [InputIds], "input_shape");
            var length = Builder.Node("Gather", [shape, LongScalar(1)], "sequence_length", ("axis", 0L));
            var range = Builder.Node("Range", [LongScalar(0), length, LongScalar(1)], "positions");             // [T]
            positions = Builder.Node("Gather", [posName, range], "position_embeddings", ("axis", 0L));          // [T, H], broadcast over B
        }
        var typeTable = PlmParameter(p + "token_type_embeddings.weight");
        var types = Builder.Node("Gather", [Weight(p + "token_type_embeddings.weight", Data(typeTable), typeTable.shape[0], typeTable.shape[1]), TokenTypeIds],
            "token_type_embeddings", ("axis", 0L));
        var sum = Builder.Node("Add", [Builder.Node("Add", [wordEmbeddings, positions], "emb_wp"), types], "emb_wpt");
        if (Config.UseTaskId)
        {
            var taskRow = Data(PlmParameter(p + "task_type_embeddings.weight")).AsSpan(0, H).ToArray();
            sum = Builder.Node("Add", [sum, Weight(p + "task_type_embeddings.weight.row0", taskRow, H)], "emb_sum");
        }
        return LayerNorm(sum, p + "LayerNorm");                                                                    // [B, T, H]
    }

    /// <summary>The additive attention mask <c>[B, 1, 1, T]</c>: 0 where attention_mask is 1, the type's lowest finite value where it is 0 (like TorchSharp's <c>finfo.min</c>).</summary>
    public string AdditiveMask() => Cached("additive_mask", () =>
    {
        var keep = Builder.Node("Cast", [AttentionMask], "mask_float", ("to", (long)ComputeType));
        var drop = Builder.Node("Sub", [Constant(1f), keep], "mask_inverted");
        float lowest = ComputeType == OnnxType.Float16 ? (float)Half.MinValue : float.MinValue;
        var additive = Builder.Node("Mul", [drop, Constant(lowest)], "mask_additive");
        return Builder.Node("Unsqueeze", [additive, LongVector(1, 2)], "attention_bias");                          // [B, 1, 1, T]
    });

    /// <summary>
    /// Runs every encoder layer on <paramref name="hidden"/> <c>[B, T, H]</c>. The last layer is computed only for the
    /// rows <paramref name="outputRows"/> picks from its input (<c>[B, T, H] → [B, Q, H]</c>, e.g. the [MASK] slots),
    /// attending over all T positions, as <see cref="ErnieInputs.OutputPositions"/> does in TorchSharp; returns <c>[B, Q, H]</c>.
    /// </summary>
    public string Encoder(string hidden, Func<string, string> outputRows)
    {
        var mask = AdditiveMask();
        for (int i = 0; i < Config.NumHiddenLayers; i++)
        {
            var queries = i == Config.NumHiddenLayers - 1 ? outputRows(hidden) : hidden;
            hidden = Layer(hidden, mask, i, queries == hidden ? null : queries);
        }
        return hidden;
    }

    /// <summary>One layer for <paramref name="queries"/> <c>[B, Q, H]</c> (null: every row of <paramref name="x"/> <c>[B, T, H]</c>).</summary>
    private string Layer(string x, string mask, int index, string queries)
    {
        string p = $"ernie.encoder.layer.{index}.";
        int n = Config.NumAttentionHeads, d = Config.HeadSize;

        // Q, K and V in one product [H, 3H] (K and V only, [H, 2H], when the queries are other rows); 1/√D folded into
        // the query weights (exact for power-of-two D).
        float scale = (float)(1 / Math.Sqrt(d));
        var wq = Data(PlmParameter(p + "attention.self.query.weight")).Select(v => v * scale).ToArray();
        var bq = Data(PlmParameter(p + "attention.self.query.bias")).Select(v => v * scale).ToArray();
        float[] wkv = [.. Data(PlmParameter(p + "attention.self.key.weight")), .. Data(PlmParameter(p + "attention.self.value.weight"))];
        float[] bkv = [.. Data(PlmParameter(p + "attention.self.key.bias")), .. Data(PlmParameter(p + "attention.self.value.bias"))];
        string qRows, kRows, vRows;
        if (queries is null)
        {
            var qkv = LinearTransposed(x, Transpose([.. wq, .. wkv], 3 * H, H), H, 3 * H, [.. bq, .. bkv], p + "attention.self.qkv", quantize: true);   // [B, T, 3H]
            var parts = Builder.NodeMulti("Split", [qkv, LongVector(H, H, H)], [p + "q", p + "k", p + "v"], null, ("axis", -1L));
            (qRows, kRows, vRows) = (parts[0], parts[1], parts[2]);
        }
        else
        {
            qRows = LinearTransposed(queries, Transpose(wq, H, H), H, H, bq, p + "attention.self.query", quantize: true);                         // [B, Q, H]
            var kv = LinearTransposed(x, Transpose(wkv, 2 * H, H), H, 2 * H, bkv, p + "attention.self.kv", quantize: true);                      // [B, T, 2H]
            var parts = Builder.NodeMulti("Split", [kv, LongVector(H, H)], [p + "k", p + "v"], null, ("axis", -1L));
            (kRows, vRows) = (parts[0], parts[1]);
        }
        var residual = queries ?? x;
        var heads = LongVector(0, 0, n, d);
        var q = Builder.Node("Transpose", [Builder.Node("Reshape", [qRows, heads], p + "q4")], p + "q_heads", ("perm", new long[] { 0, 2, 1, 3 }));   // [B, N, Q, D]
        var kT = Builder.Node("Transpose", [Builder.Node("Reshape", [kRows, heads], p + "k4")], p + "k_heads_t", ("perm", new long[] { 0, 2, 3, 1 })); // [B, N, D, T]
        var v = Builder.Node("Transpose", [Builder.Node("Reshape", [vRows, heads], p + "v4")], p + "v_heads", ("perm", new long[] { 0, 2, 1, 3 }));   // [B, N, T, D]
        var scores = Builder.Node("Add", [Builder.Node("MatMul", [q, kT], p + "scores_raw"), mask], p + "scores");                                  // [B, N, Q, T]
        var probs = Builder.Node("Softmax", [scores], p + "attention_probs", ("axis", -1L));
        var context = Builder.Node("MatMul", [probs, v], p + "context_heads");                                                                       // [B, N, Q, D]
        var merged = Builder.Node("Reshape", [Builder.Node("Transpose", [context], p + "context_t", ("perm", new long[] { 0, 2, 1, 3 })), LongVector(0, 0, H)], p + "context"); // [B, Q, H]

        var attnDense = Linear(merged, PlmParameter(p + "attention.output.dense.weight"), PlmParameter(p + "attention.output.dense.bias"), p + "attention.output.dense", quantize: true);
        var attended = LayerNorm(Builder.Node("Add", [attnDense, residual], p + "attention.residual"), p + "attention.output.LayerNorm");           // [B, Q, H]

        var inter = Linear(attended, PlmParameter(p + "intermediate.dense.weight"), PlmParameter(p + "intermediate.dense.bias"), p + "intermediate.dense", quantize: true);
        var activated = Activation(inter, p + "intermediate");                                                                                         // [B, Q, I]
        var outDense = Linear(activated, PlmParameter(p + "output.dense.weight"), PlmParameter(p + "output.dense.bias"), p + "output.dense", quantize: true);
        return LayerNorm(Builder.Node("Add", [outDense, attended], p + "output.residual"), p + "output.LayerNorm");                                  // [B, Q, H]
    }

    /// <summary>The first token's row, kept as a sequence of one: <c>[B, T, H] → [B, 1, H]</c>.</summary>
    public string FirstRow(string hidden) =>
        Builder.Node("Slice", [hidden, LongVector(0), LongVector(1), LongVector(1)], "cls_row");                                                      // [B, 1, H]

    /// <summary>tanh(dense(hidden state of the first token)): <c>[B, H]</c>.</summary>
    public string Pooler(string lastHidden)
    {
        var dense = Linear(FirstToken(lastHidden), PlmParameter("ernie.pooler.dense.weight"), PlmParameter("ernie.pooler.dense.bias"), "ernie.pooler.dense", quantize: false);
        return Builder.Node("Tanh", [dense], "pooled_output");                                                                                        // [B, H]
    }

    /// <summary>The first token's hidden state without the pooler: <c>[B, Q, H] → [B, H]</c>.</summary>
    public string FirstToken(string lastHidden) =>
        Builder.Node("Gather", [lastHidden, LongScalar(0)], "cls_hidden", ("axis", 1L));                                                      // [B, H]

    /// <summary>Mean of the last hidden states <c>[B, T, H]</c> over the positions where attention_mask is 1: <c>[B, H]</c>.</summary>
    public string MaskedMean(string lastHidden)
    {
        var keep = Builder.Node("Unsqueeze", [Builder.Node("Cast", [AttentionMask], "mean_keep", ("to", (long)ComputeType)), LongVector(-1)], "mean_keep_3d");   // [B, T, 1]
        var sum = Builder.Node("ReduceSum", [Builder.Node("Mul", [lastHidden, keep], "mean_masked"), LongVector(1)], "mean_sum", ("keepdims", 0L));   // [B, H]
        var count = Builder.Node("Max", [Builder.Node("ReduceSum", [keep, LongVector(1)], "mean_count_raw", ("keepdims", 0L)), Constant(1f)], "mean_count");   // [B, 1]
        return Builder.Node("Div", [sum, count], "mean_pooled");                                                                                  // [B, H]
    }

    // ---- pieces for prompt heads ---------------------------------------------------------------------------------

    /// <summary>
    /// Soft prompt vectors written into their slots: where <see cref="SoftTokenIds"/> is k ≥ 1 the result is row k-1 of
    /// <paramref name="vectors"/> (<c>[S, H]</c>, row-major: the soft prompt encoder's output, a constant at inference),
    /// elsewhere <paramref name="wordEmbeddings"/> <c>[B, T, H]</c> (requires the soft_token_ids input).
    /// </summary>
    public string SoftPromptWordEmbeddings(string wordEmbeddings, float[] vectors, int count)
    {
        if (SoftTokenIds is null) throw new InvalidOperationException("The graph has no soft_token_ids input; the head must request OnnxExtraInputs.SoftTokenIds.");
        if (vectors.Length != count * H) throw new ArgumentException($"Soft prompt vectors must be [{count}, {H}].", nameof(vectors));
        var table = Weight("soft_prompt.vectors", [.. new float[H], .. vectors], count + 1, H);                                              // [S+1, H], row 0 unused
        var soft = Builder.Node("Gather", [table, SoftTokenIds], "soft_prompt_embeddings", ("axis", 0L));                                // [B, T, H]
        var isSoft = Builder.Node("Unsqueeze", [Builder.Node("Greater", [SoftTokenIds, LongScalar(0)], "soft_slots"), LongVector(-1)], "soft_slots_3d");   // [B, T, 1]
        return Builder.Node("Where", [isSoft, soft, wordEmbeddings], "prompt_word_embeddings");                                          // [B, T, H]
    }

    /// <summary>The rows of <paramref name="hidden"/> at <see cref="MaskPositions"/>: <c>[B, T, H] → [B, M, H]</c> (requires the mask_positions input).</summary>
    public string GatherAtMasks(string hidden)
    {
        if (MaskPositions is null) throw new InvalidOperationException("The graph has no mask_positions input; the head must request OnnxExtraInputs.MaskPositions.");
        var index = Builder.Node("Unsqueeze", [MaskPositions, LongVector(-1)], "mask_index");                                                      // [B, M, 1]
        var shape = Builder.Node("Concat", [Builder.Node("Shape", [MaskPositions], "mask_positions_shape"), LongVector(H)], "mask_gather_shape", ("axis", 0L));
        var expanded = Builder.Node("Expand", [index, shape], "mask_index_expanded");                                                               // [B, M, H]
        return Builder.Node("GatherElements", [hidden, expanded], "mask_hidden", ("axis", 1L));                                                // [B, M, H]
    }

    /// <summary>The MLM head's transform (dense → activation → LayerNorm): <c>[..., H] → [..., H]</c>.</summary>
    public string MlmTransform(string hidden)
    {
        const string p = "cls.predictions.transform.";
        var dense = Linear(hidden, PlmParameter(p + "dense.weight"), PlmParameter(p + "dense.bias"), p + "dense", quantize: false);
        return LayerNorm(Activation(dense, p + "act"), p + "LayerNorm");
    }

    /// <summary>
    /// MLM decoder logits <c>[..., H] → [..., R]</c> restricted to the vocabulary rows <paramref name="tokenIds"/> (all V rows
    /// when null): decoder weight (the word embeddings when tied) and <c>cls.predictions.bias</c>. Apply after <see cref="MlmTransform"/>.
    /// </summary>
    public string MlmDecoder(string transformed, IReadOnlyList<int> tokenIds = null)
    {
        var decoder = Data(Plm.Head.DecoderWeight);                                                                                                   // [V, H]
        var bias = Data(Plm.Head.Bias);                                                                                                               // [V]
        int v = Config.VocabSize;
        var rows = tokenIds ?? Enumerable.Range(0, v).ToArray();
        var w = new float[H * rows.Count];                                                                                                            // [H, R]
        var b = new float[rows.Count];
        for (int r = 0; r < rows.Count; r++)
        {
            int id = rows[r];
            if (id < 0 || id >= v) throw new ArgumentOutOfRangeException(nameof(tokenIds), $"Token id {id} is outside the vocabulary (0..{v - 1}).");
            for (int k = 0; k < H; k++) w[k * rows.Count + r] = decoder[id * H + k];
            b[r] = bias[id];
        }
        return LinearTransposed(transformed, w, H, rows.Count, b, "cls.predictions.decoder", quantize: tokenIds is null);
    }
}
