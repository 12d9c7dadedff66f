using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.PromptLearning.Ernie;

/// <summary>
/// Hyper-parameters of an ERNIE (or BERT) masked language model, read from Hugging Face <c>config.json</c> or from
/// PaddleNLP's <c>model_config.json</c>. BERT is the same model without task-type embeddings.
/// </summary>
public sealed class ErnieConfig
{
    /// <summary>Rows of the word-embedding table (may exceed the number of lines of vocab.txt).</summary>
    public int VocabSize { get; set; } = 40000;
    /// <summary>Width of every hidden state.</summary>
    public int HiddenSize { get; set; } = 768;
    /// <summary>Number of Transformer encoder layers.</summary>
    public int NumHiddenLayers { get; set; } = 12;
    /// <summary>Number of attention heads; must divide <see cref="HiddenSize"/>.</summary>
    public int NumAttentionHeads { get; set; } = 12;
    /// <summary>Width of the feed-forward layer.</summary>
    public int IntermediateSize { get; set; } = 3072;
    /// <summary>Activation of the feed-forward layer and the MLM transform: <c>gelu</c> (exact, erf), <c>gelu_new</c>/<c>gelu_fast</c> (tanh approximation) or <c>relu</c>.</summary>
    public string HiddenAct { get; set; } = "gelu";
    /// <summary>Dropout on embeddings and sub-layer outputs.</summary>
    public double HiddenDropoutProb { get; set; } = 0.1;
    /// <summary>Dropout on attention probabilities.</summary>
    public double AttentionProbsDropoutProb { get; set; } = 0.1;
    /// <summary>Rows of the position-embedding table: the longest sequence the model accepts.</summary>
    public int MaxPositionEmbeddings { get; set; } = 2048;
    /// <summary>Rows of the token-type (segment) embedding table.</summary>
    public int TypeVocabSize { get; set; } = 4;
    /// <summary>Rows of the task-type embedding table (ERNIE 3.0 only).</summary>
    public int TaskTypeVocabSize { get; set; } = 3;
    /// <summary>Whether task-type embeddings are added (ERNIE 3.0: true; BERT: false).</summary>
    public bool UseTaskId { get; set; } = true;
    /// <summary>Epsilon of every LayerNorm.</summary>
    public double LayerNormEps { get; set; } = 1e-5;
    /// <summary>Id of the padding token.</summary>
    public int PadTokenId { get; set; }
    /// <summary>Whether the MLM decoder shares its weight with the word embeddings (the usual case).</summary>
    public bool TieWordEmbeddings { get; set; } = true;
    /// <summary>ERNIE or BERT (<c>model_type</c>): selects the parameter-name prefix used when saving.</summary>
    public ErnieModelType ModelType { get; set; } = ErnieModelType.Ernie;

    /// <summary>The <c>model_type</c> name of <paramref name="type"/>: <c>ernie</c> or <c>bert</c>.</summary>
    public static string ModelTypeName(ErnieModelType type) => type.ToString().ToLowerInvariant();

    /// <summary>Reads a <c>model_type</c> name (any case).</summary>
    /// <exception cref="InvalidDataException">The name is neither <c>ernie</c> nor <c>bert</c>.</exception>
    public static ErnieModelType ParseModelType(string name)
    {
        foreach (var t in Enum.GetValues<ErnieModelType>())
            if (string.Equals(name, ModelTypeName(t), StringComparison.OrdinalIgnoreCase)) return t;
        throw new InvalidDataException($"model_type '{name}' is not supported; expected {string.Join(" or ", Enum.GetValues<ErnieModelType>().Select(ModelTypeName))}.");
    }

    /// <summary>Per-head width.</summary>
    public int HeadSize => HiddenSize / NumAttentionHeads;

    /// <summary>ERNIE 3.0 base (12 layers, hidden 768, 12 heads, vocab 40000).</summary>
    public static ErnieConfig Ernie3Base() => new();

    /// <summary>Throws <see cref="InvalidDataException"/> with an explanation when the values cannot describe a model.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (VocabSize <= 0) problems.Add($"vocab_size must be positive (got {VocabSize})");
        if (HiddenSize <= 0) problems.Add($"hidden_size must be positive (got {HiddenSize})");
        if (NumAttentionHeads <= 0 || HiddenSize % Math.Max(1, NumAttentionHeads) != 0)
            problems.Add($"num_attention_heads ({NumAttentionHeads}) must divide hidden_size ({HiddenSize})");
        if (NumHiddenLayers < 0) problems.Add($"num_hidden_layers must be >= 0 (got {NumHiddenLayers})");
        if (IntermediateSize <= 0) problems.Add($"intermediate_size must be positive (got {IntermediateSize})");
        if (MaxPositionEmbeddings <= 0) problems.Add($"max_position_embeddings must be positive (got {MaxPositionEmbeddings})");
        if (TypeVocabSize <= 0) problems.Add($"type_vocab_size must be positive (got {TypeVocabSize})");
        if (UseTaskId && TaskTypeVocabSize <= 0) problems.Add($"task_type_vocab_size must be positive when use_task_id is true (got {TaskTypeVocabSize})");
        if (HiddenDropoutProb is < 0 or >= 1 || AttentionProbsDropoutProb is < 0 or >= 1) problems.Add("dropout probabilities must lie in [0, 1)");
        if (HiddenAct is not ("gelu" or "gelu_new" or "gelu_fast" or "gelu_pytorch_tanh" or "relu"))
            problems.Add($"hidden_act '{HiddenAct}' is not supported (use gelu, gelu_new or relu)");
        if (problems.Count > 0) throw new InvalidDataException("Invalid model configuration: " + string.Join("; ", problems) + ".");
    }

    /// <summary>Reads a Hugging Face <c>config.json</c> or a PaddleNLP <c>model_config.json</c>.</summary>
    public static ErnieConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model configuration '{path}' does not exist.", path);
        JsonNode root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"Model configuration '{path}' is not valid JSON: {e.Message}", e); }
        if (root is not JsonObject obj) throw new InvalidDataException($"Model configuration '{path}' must be a JSON object.");
        try { return FromJson(obj); }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException)
        { throw new InvalidDataException($"Model configuration '{path}' has a value of the wrong type: {e.Message}", e); }
        catch (ArgumentException e)   // JsonObject builds its dictionary lazily: a repeated key surfaces on first access
        { throw new InvalidDataException($"Model configuration '{path}' names a key twice: {e.Message}", e); }
    }

    /// <summary>Builds a config from the JSON object of <c>config.json</c> (PaddleNLP's <c>init_args</c> nesting is unwrapped).</summary>
    public static ErnieConfig FromJson(JsonObject obj)
    {
        // PaddleNLP (older releases) nests the arguments: {"init_args":[{...}], "init_class": "ErnieModel"}.
        if (obj["init_args"] is JsonArray { Count: > 0 } args && args[0] is JsonObject inner) obj = inner;
        var c = new ErnieConfig();
        int Int(string key, int dflt) => obj[key] is JsonValue v ? v.GetValue<int>() : dflt;
        double Dbl(string key, double dflt) => obj[key] is JsonValue v ? v.GetValue<double>() : dflt;
        c.ModelType = obj["model_type"] is JsonNode type
            ? ParseModelType(type.GetValue<string>())
            : obj["architectures"]?.ToJsonString().Contains("Bert") == true ? ErnieModelType.Bert : ErnieModelType.Ernie;
        c.VocabSize = Int("vocab_size", c.VocabSize);
        c.HiddenSize = Int("hidden_size", c.HiddenSize);
        c.NumHiddenLayers = Int("num_hidden_layers", c.NumHiddenLayers);
        c.NumAttentionHeads = Int("num_attention_heads", c.NumAttentionHeads);
        c.IntermediateSize = Int("intermediate_size", c.IntermediateSize);
        c.HiddenAct = obj["hidden_act"]?.GetValue<string>() ?? c.HiddenAct;
        c.HiddenDropoutProb = Dbl("hidden_dropout_prob", c.HiddenDropoutProb);
        c.AttentionProbsDropoutProb = Dbl("attention_probs_dropout_prob", c.AttentionProbsDropoutProb);
        c.MaxPositionEmbeddings = Int("max_position_embeddings", c.MaxPositionEmbeddings);
        c.TypeVocabSize = Int("type_vocab_size", c.TypeVocabSize);
        c.TaskTypeVocabSize = Int("task_type_vocab_size", c.TaskTypeVocabSize);
        c.UseTaskId = obj["use_task_id"] is JsonValue u ? u.GetValue<bool>() : c.ModelType == ErnieModelType.Ernie && obj.ContainsKey("task_type_vocab_size");
        c.LayerNormEps = Dbl("layer_norm_eps", c.ModelType == ErnieModelType.Bert ? 1e-12 : 1e-5);
        c.PadTokenId = Int("pad_token_id", 0);
        c.TieWordEmbeddings = obj["tie_word_embeddings"] is JsonValue t ? t.GetValue<bool>() : true;
        c.Validate();
        return c;
    }

    /// <summary>The Hugging Face <c>config.json</c> form of this config.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray(ModelType == ErnieModelType.Bert ? "BertForMaskedLM" : "ErnieForMaskedLM"),
            ["model_type"] = ModelTypeName(ModelType),
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["intermediate_size"] = IntermediateSize,
            ["hidden_act"] = HiddenAct,
            ["hidden_dropout_prob"] = HiddenDropoutProb,
            ["attention_probs_dropout_prob"] = AttentionProbsDropoutProb,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["type_vocab_size"] = TypeVocabSize,
            ["layer_norm_eps"] = LayerNormEps,
            ["pad_token_id"] = PadTokenId,
            ["tie_word_embeddings"] = TieWordEmbeddings,
        };
        if (ModelType == ErnieModelType.Ernie)
        {
            o["task_type_vocab_size"] = TaskTypeVocabSize;
            o["use_task_id"] = UseTaskId;
        }
        return o;
    }

    /// <summary>Writes <c>config.json</c> (atomically).</summary>
    public void Save(string path) =>
        AtomicFile.WriteAllText(path, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>A copy of this config.</summary>
    public ErnieConfig Clone() => (ErnieConfig)MemberwiseClone();
}
