using System.Collections;
using Microsoft.ML.PromptLearning.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Ernie;

/// <summary>A model loaded from a checkpoint folder together with its tokenizer.</summary>
/// <param name="Model">The masked language model (on the CPU, in eval mode).</param>
/// <param name="Tokenizer">The tokenizer built from the folder's vocab.txt.</param>
/// <param name="Folder">Where it was loaded from.</param>
/// <param name="HasPooler">
/// Whether the checkpoint has pooler weights (<c>ernie.pooler.dense.*</c>). Checkpoints pretrained with a sentence-level
/// task (ERNIE 3.0, bert-base-chinese) have them; masked-LM-only exports (Hugging Face <c>*ForMaskedLM</c>, the bundled
/// ChineseMini model) do not, and their pooler starts random.
/// </param>
public sealed record PretrainedErnie(ErnieForMaskedLM Model, ErnieTokenizer Tokenizer, string Folder, bool HasPooler = true);

/// <summary>
/// Loads and saves ERNIE/BERT checkpoints in Hugging Face layout: a folder with <c>config.json</c> (or PaddleNLP's
/// <c>model_config.json</c>), <c>vocab.txt</c> and <c>model.safetensors</c> or <c>pytorch_model.bin</c>, with HF parameter
/// names (<c>ernie.*</c> or <c>bert.*</c>, <c>cls.predictions.*</c>). What we save, Python <c>transformers</c> can read.
/// </summary>
public static class ErnieCheckpoint
{
    /// <summary>File name of the weights we write.</summary>
    public const string WeightsFileName = "model.safetensors";

    /// <summary>Name prefix of the pooler's tensors, which masked-LM-only checkpoints lack.</summary>
    private const string PoolerPrefix = "ernie.pooler.";

    /// <summary>Loads model and tokenizer from a checkpoint folder.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is missing, corrupt, or does not match the configuration.</exception>
    public static PretrainedErnie Load(string folder)
    {
        var config = LoadConfig(folder);
        var vocabPath = Path.Combine(folder, "vocab.txt");
        if (!File.Exists(vocabPath))
            throw new InvalidDataException($"Checkpoint folder '{folder}' has no vocab.txt; copy the model's vocab.txt next to its config.json.");
        var tokenizer = ErnieTokenizer.FromVocabFile(vocabPath);
        if (tokenizer.VocabSize > config.VocabSize)
            throw new InvalidDataException($"vocab.txt in '{folder}' has {tokenizer.VocabSize} tokens but config.json says vocab_size {config.VocabSize}; they belong to different models.");
        var model = new ErnieForMaskedLM(config);
        bool hasPooler = LoadWeights(model, FindWeights(folder));
        model.eval();
        return new PretrainedErnie(model, tokenizer, folder, hasPooler);
    }

    /// <summary>Reads <c>config.json</c> (or PaddleNLP's <c>model_config.json</c>) of a checkpoint folder.</summary>
    public static ErnieConfig LoadConfig(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Model folder '{folder}' does not exist.");
        foreach (var name in new[] { "config.json", "model_config.json" })
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path)) return ErnieConfig.Load(path);
        }
        throw new InvalidDataException($"Model folder '{folder}' has neither config.json nor model_config.json.");
    }

    /// <summary>The weights file of a folder: <c>model.safetensors</c>, else <c>pytorch_model.bin</c>.</summary>
    public static string FindWeights(string folder)
    {
        foreach (var name in new[] { WeightsFileName, "pytorch_model.bin" })
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path)) return path;
        }
        if (File.Exists(Path.Combine(folder, "model_state.pdparams")))
            throw new InvalidDataException($"'{folder}' holds PaddlePaddle weights (model_state.pdparams); convert them to model.safetensors first.");
        throw new InvalidDataException($"Model folder '{folder}' has no weights: expected {WeightsFileName} or pytorch_model.bin.");
    }

    /// <summary>Reads a state dict (name → float32 CPU tensor) from safetensors or a PyTorch <c>.bin</c>.</summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return SafeTensors.Load(path);
        try
        {
            Hashtable table = TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(path);
            var result = new Dictionary<string, Tensor>();
            foreach (DictionaryEntry e in table)
                if (e.Value is Tensor t) result[(string)e.Key] = t.is_floating_point() && t.dtype != float32 ? t.to(float32) : t;
            return result;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The unpickler builds only tensors and containers; any other class (os.system, a model object, …) is refused unexecuted.
            var foreign = System.Text.RegularExpressions.Regex.Match(e.Message, @"ClassDict \(for ([\w.]+)\)");
            if (foreign.Success)
                throw new InvalidDataException($"'{path}' holds Python objects other than tensors (it asks for {foreign.Groups[1].Value}), which could run code when loaded; " +
                    "it was refused without running anything. Convert the weights to safetensors in Python: safetensors.torch.save_file(" +
                    "{k: v.contiguous() for k, v in torch.load(path, weights_only=True).items()}, 'model.safetensors'), and put model.safetensors in the folder.", e);
            throw new InvalidDataException($"Could not read PyTorch weights '{path}' (corrupt, truncated, or not a torch.save state dict): {e.Message}", e);
        }
    }

    /// <summary>
    /// Copies a checkpoint's tensors into <paramref name="model"/>. Accepts <c>bert.</c> names, a missing tied decoder weight,
    /// a missing pooler (MLM-only exports) and the extras real checkpoints carry (NSP head, <c>position_ids</c> buffers).
    /// Any other missing, unexpected or mis-shaped tensor fails with one error that lists them all.
    /// </summary>
    /// <returns>Whether the checkpoint had pooler weights (without them the model's pooler keeps its random initialisation).</returns>
    public static bool LoadWeights(ErnieForMaskedLM model, string weightsPath)
    {
        var state = ReadStateDict(weightsPath);
        try { return LoadStateDict(model, state, weightsPath); }
        finally { foreach (var t in state.Values) t.Dispose(); }
    }

    /// <summary>Copies tensors (HF names) into the model; see <see cref="LoadWeights"/>. Returns whether the pooler weights were there.</summary>
    public static bool LoadStateDict(ErnieForMaskedLM model, IReadOnlyDictionary<string, Tensor> state, string source)
    {
        var byOurName = new Dictionary<string, Tensor>();
        var unexpected = new List<string>();
        foreach (var (rawName, tensor) in state)
        {
            var name = ToOurName(rawName);
            if (name is null) continue;   // harmless extra
            if (name == "cls.predictions.decoder.weight" && model.Config.TieWordEmbeddings) continue;
            byOurName[name] = tensor;
        }
        var missing = new List<string>();
        var misShaped = new List<string>();
        var parameters = model.named_parameters().ToList();
        var known = new HashSet<string>(parameters.Select(p => p.name));
        foreach (var name in byOurName.Keys) if (!known.Contains(name)) unexpected.Add(name);
        foreach (var (name, p) in parameters)
        {
            if (!byOurName.TryGetValue(name, out var t))
            {
                if (!name.StartsWith(PoolerPrefix, StringComparison.Ordinal)) missing.Add(name);
                continue;
            }
            if (!t.shape.SequenceEqual(p.shape))
                misShaped.Add($"{name}: checkpoint [{string.Join(",", t.shape)}] vs model [{string.Join(",", p.shape)}]");
        }
        if (missing.Count + unexpected.Count + misShaped.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing {missing.Count}: {Summarize(missing)}");
            if (unexpected.Count > 0) parts.Add($"unexpected {unexpected.Count}: {Summarize(unexpected)}");
            if (misShaped.Count > 0) parts.Add($"wrong shape {misShaped.Count}: {Summarize(misShaped)}");
            throw new InvalidDataException($"Weights in '{source}' do not match the model described by its config.json ({string.Join("; ", parts)}). " +
                "Check that config.json, vocab.txt and the weights come from the same checkpoint.");
        }
        using var _ = no_grad();
        foreach (var (name, p) in parameters)
            if (byOurName.TryGetValue(name, out var t)) p.copy_(t);
        return parameters.Where(p => p.name.StartsWith(PoolerPrefix, StringComparison.Ordinal)).All(p => byOurName.ContainsKey(p.name));
    }

    /// <summary>
    /// Saves a model in HF layout (config.json, vocab.txt, model.safetensors), each file written atomically.
    /// <paramref name="half"/> stores float16 weights (half the size; loading widens them back to float32).
    /// <paramref name="includePooler"/> = false leaves out the pooler, as Hugging Face's <c>*ForMaskedLM</c> exports do:
    /// masked-LM pretraining never trains it, and a checkpoint without it tells fine-tuning to pool otherwise
    /// (<see cref="FineTunePooling.Auto"/>).
    /// </summary>
    public static void Save(ErnieForMaskedLM model, ErnieTokenizer tokenizer, string folder, bool half = false, IReadOnlyDictionary<string, string> metadata = null, bool includePooler = true)
    {
        Directory.CreateDirectory(folder);
        var prefix = model.Config.ModelType == ErnieModelType.Bert ? "bert." : "ernie.";
        var state = new Dictionary<string, Tensor>();
        foreach (var (name, p) in model.named_parameters())
        {
            if (!includePooler && name.StartsWith(PoolerPrefix, StringComparison.Ordinal)) continue;
            state[name.StartsWith("ernie.", StringComparison.Ordinal) ? prefix + name["ernie.".Length..] : name] = p;
        }
        var meta = new Dictionary<string, string> { ["format"] = "pt" };
        if (metadata is not null) foreach (var (k, v) in metadata) meta[k] = v;
        SafeTensors.Save(Path.Combine(folder, WeightsFileName), state, meta, half);
        AtomicFile.WriteAllText(Path.Combine(folder, "vocab.txt"), tokenizer.VocabText);
        model.Config.Save(Path.Combine(folder, "config.json"));
    }

    /// <summary>Maps a checkpoint name to ours, or null for a known harmless extra.</summary>
    internal static string ToOurName(string name)
    {
        if (name.StartsWith("bert.", StringComparison.Ordinal)) name = "ernie." + name["bert.".Length..];
        else if (name.StartsWith("model.", StringComparison.Ordinal)) name = "ernie." + name["model.".Length..];   // PaddleNLP ErnieForMaskedLM naming
        if (name.EndsWith(".gamma", StringComparison.Ordinal)) name = name[..^".gamma".Length] + ".weight";     // TF-converted LayerNorms
        else if (name.EndsWith(".beta", StringComparison.Ordinal)) name = name[..^".beta".Length] + ".bias";
        if (name.StartsWith("cls.seq_relationship.", StringComparison.Ordinal)) return null;                     // BERT's NSP head
        if (name == "cls.predictions.decoder.bias") return null;                                                  // alias of cls.predictions.bias
        if (name.EndsWith("embeddings.position_ids", StringComparison.Ordinal) || name.EndsWith("embeddings.token_type_ids", StringComparison.Ordinal)) return null;
        return name;
    }

    private static string Summarize(List<string> names) =>
        string.Join(", ", names.Take(12)) + (names.Count > 12 ? $", … ({names.Count - 12} more)" : "");
}
