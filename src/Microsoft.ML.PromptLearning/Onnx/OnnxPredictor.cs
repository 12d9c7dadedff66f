using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.PromptLearning.Tokenization;
using Microsoft.ML.PromptLearning.Inference;

namespace Microsoft.ML.PromptLearning.Onnx;

/// <summary>Options of <see cref="OnnxPredictor"/>.</summary>
public sealed class OnnxPredictorOptions
{
    /// <summary>Texts per ONNX Runtime call; texts are sorted by length and each batch is padded only to its longest text. Default 32.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Threads ONNX Runtime uses inside one operator; 0 (default) lets it choose (one per physical core).</summary>
    public int IntraOpNumThreads { get; set; }

    /// <summary>Runs on an NVIDIA GPU through the CUDA execution provider (needs the Microsoft.ML.OnnxRuntime.Gpu.Linux package and CUDA/cuDNN libraries).</summary>
    public bool UseCuda { get; set; }

    /// <summary>The GPU to use with <see cref="UseCuda"/>.</summary>
    public int GpuDeviceId { get; set; }

    /// <summary>With <see cref="UseCuda"/>: run on the CPU instead of failing when the CUDA provider cannot be loaded.</summary>
    public bool FallbackToCpu { get; set; }

    /// <summary>A vocab.txt for models exported without the embedded vocabulary (checked against the hash in the model).</summary>
    public string VocabularyPath { get; set; }

    /// <summary>
    /// Write ONNX Runtime's profile (Chrome-trace JSON with the time of every operator call) to a file starting with this
    /// prefix; the file is completed when the predictor is disposed (see <see cref="OnnxPredictor.EndProfiling"/>). Null = off.
    /// </summary>
    public string ProfileOutputPrefix { get; set; }

    /// <summary>ONNX Runtime graph optimizations; default all.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; set; } = GraphOptimizationLevel.ORT_ENABLE_ALL;
}

/// <summary>
/// Scores texts with a model exported by <see cref="OnnxExport.ExportToOnnx(ErnieClassifierTransformerBase, Stream, OnnxExportOptions)"/>
/// on ONNX Runtime alone (no TorchSharp, no ML.NET pipeline): it tokenizes with the vocabulary stored in the model,
/// batches texts of similar length with dynamic padding and returns class probabilities. Thread-safe.
/// </summary>
public sealed class OnnxPredictor : IDisposable
{
    private readonly InferenceSession session;
    private readonly OnnxModelMetadata metadata;
    private MultiLabel.LabelHierarchy tree;
    private readonly InputEncoder encoder;
    private readonly string[] inputNames;
    private readonly int batchSize;
    private readonly int padId;

    /// <summary>Loads a model file.</summary>
    public OnnxPredictor(string modelPath, OnnxPredictorOptions options = null)
        : this(File.Exists(modelPath) ? File.ReadAllBytes(modelPath) : throw new FileNotFoundException($"ONNX model '{modelPath}' does not exist.", modelPath),
               options, modelPath)
    { }

    /// <summary>Loads a model from its bytes.</summary>
    public OnnxPredictor(byte[] model, OnnxPredictorOptions options = null) : this(model, options, "The ONNX model") { }

    private OnnxPredictor(byte[] model, OnnxPredictorOptions options, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new OnnxPredictorOptions();
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1.");
        batchSize = options.BatchSize;
        using var sessionOptions = CreateSessionOptions(options, out var provider);
        ExecutionProvider = provider;
        try { session = new InferenceSession(model, sessionOptions); }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{source} is not a loadable ONNX model ({e.Message}). If it is truncated or damaged, export it again " +
                                           "(transformer.ExportToOnnx or prompt-learn export); a model zip is loaded with mlContext.Model.LoadPromptModel instead.", e);
        }
        try
        {
            (metadata, Tokenizer, encoder) = ReadScoringSetup(session.ModelMetadata.CustomMetadataMap, options.VocabularyPath, source);
        }
        catch
        {
            session.Dispose();
            throw;
        }
        inputNames = session.InputMetadata.Keys.ToArray();
        padId = Tokenizer.PadId;
    }

    /// <summary>Class names in probability order.</summary>
    public IReadOnlyList<string> LabelNames => metadata.Labels;

    /// <summary>Longest token sequence fed to the model (longer texts are truncated).</summary>
    public int MaxSequenceLength => metadata.MaxSequenceLength;

    /// <summary>Where the model runs: <see cref="OnnxExecutionProvider.Cpu"/> or <see cref="OnnxExecutionProvider.Cuda"/>.</summary>
    public OnnxExecutionProvider ExecutionProvider { get; }

    /// <summary>The tokenizer rebuilt from the model's metadata.</summary>
    public ErnieTokenizer Tokenizer { get; }

    /// <summary>The model's metadata entries.</summary>
    public IReadOnlyDictionary<string, string> Metadata => metadata.All;

    /// <summary>Class probabilities of one text (and optional second text).</summary>
    public float[] PredictProbabilities(string text, string textPair = null) => Run([encoder.Encode(text, textPair)])[0];

    /// <summary>Class probabilities of many texts, in input order (computed in length-sorted, dynamically padded batches).</summary>
    public float[][] PredictProbabilities(IReadOnlyList<string> texts, IReadOnlyList<string> textPairs = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (textPairs is not null && textPairs.Count != texts.Count) throw new ArgumentException("textPairs must have one entry per text.", nameof(textPairs));
        return Run(texts.Select((t, i) => encoder.Encode(t, textPairs?[i])).ToList());
    }

    /// <summary>The most probable class name of one text.</summary>
    public string PredictLabel(string text, string textPair = null) => metadata.Labels[Probabilities.ArgMax(PredictProbabilities(text, textPair))];

    /// <summary>Whether the model predicts label sets (exported from a multi-label or hierarchical model).</summary>
    public bool IsMultiLabel => metadata.Thresholds is not null;

    /// <summary>The per-label thresholds of a multi-label model (null for a multi-class model).</summary>
    public IReadOnlyList<float> Thresholds => metadata.Thresholds;

    /// <summary>
    /// The predicted label indices of a multi-label model: the labels above their thresholds, completed with their
    /// ancestors when the labels form a tree (a predicted child implies its parent), in class order.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model is a multi-class model (use <see cref="PredictLabel"/>).</exception>
    public int[] PredictLabelSet(IReadOnlyList<float> probabilities)
    {
        if (!IsMultiLabel) throw new InvalidOperationException("This is a multi-class model: it predicts one label per text (PredictLabel), not label sets.");
        var labels = MultiLabel.LabelThresholds.Apply(probabilities, metadata.Thresholds);
        if (metadata.LabelParents is null) return labels;
        tree ??= MultiLabel.LabelHierarchy.Create(metadata.Labels);
        return tree.Complete(labels);
    }

    /// <summary>The predicted label names of each text for a multi-label model (see <see cref="PredictLabelSet"/>).</summary>
    public string[][] PredictLabelSets(IReadOnlyList<string> texts, IReadOnlyList<string> textPairs = null) =>
        PredictProbabilities(texts, textPairs).Select(p => PredictLabelSet(p).Select(c => metadata.Labels[c]).ToArray()).ToArray();

    /// <summary>Scores encoded examples in batches of <see cref="OnnxPredictorOptions.BatchSize"/> (length-bucketed).</summary>
    internal float[][] Run(IReadOnlyList<EncodedExample> examples) => LengthBuckets.ScoreInBatches(examples, batchSize, RunBatch);

    /// <summary>One ONNX Runtime call on examples padded to the longest of them (<see cref="PaddedBatchArrays"/>).</summary>
    internal float[][] RunBatch(IReadOnlyList<EncodedExample> batch)
    {
        var a = PaddedBatchArrays.Pad(batch, padId, allInputs: true);
        int b = a.BatchSize;
        var values = new List<OrtValue>(inputNames.Length);
        try
        {
            foreach (var name in inputNames) values.Add(OrtValue.CreateTensorValueFromMemory(a.Input(name), a.InputShape(name)));
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, inputNames, values, [ErnieOnnxGraph.ProbabilitiesOutput]);
            var flat = outputs[0].GetTensorDataAsSpan<float>();
            int c = metadata.Labels.Length;
            var result = new float[b][];
            for (int r = 0; r < b; r++) result[r] = flat.Slice(r * c, c).ToArray();
            return result;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>Ends profiling (with <see cref="OnnxPredictorOptions.ProfileOutputPrefix"/>) and returns the profile file's path.</summary>
    public string EndProfiling() => session.EndProfiling();

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose() => session.Dispose();

    private static SessionOptions CreateSessionOptions(OnnxPredictorOptions options, out OnnxExecutionProvider provider)
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = options.OptimizationLevel,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            InterOpNumThreads = 1,
            IntraOpNumThreads = Math.Max(0, options.IntraOpNumThreads),
        };
        if (options.ProfileOutputPrefix is not null)
        {
            so.ProfileOutputPathPrefix = options.ProfileOutputPrefix;   // before EnableProfiling, which reads it
            so.EnableProfiling = true;
        }
        provider = OnnxExecutionProvider.Cpu;
        if (!options.UseCuda) return so;
        string failure;
        if (!OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider"))
        {
            failure = "this ONNX Runtime build has no CUDA execution provider (the application references the CPU package Microsoft.ML.OnnxRuntime; " +
                      "reference Microsoft.ML.OnnxRuntime.Gpu.Linux instead)";
        }
        else
        {
            try
            {
                so.AppendExecutionProvider_CUDA(options.GpuDeviceId);
                provider = OnnxExecutionProvider.Cuda;
                return so;
            }
            catch (OnnxRuntimeException e)
            {
                failure = $"the CUDA execution provider could not be started on GPU {options.GpuDeviceId} ({e.Message.Trim()}); it needs an NVIDIA driver and " +
                          "the CUDA and cuDNN 9 libraries that this ONNX Runtime release was built for on the library path";
            }
        }
        if (options.FallbackToCpu) return so;
        so.Dispose();
        throw new InvalidOperationException($"Cannot run on the GPU: {failure}. Set {nameof(OnnxPredictorOptions.FallbackToCpu)} = true to run on the CPU instead.");
    }

    /// <summary>
    /// The metadata, tokenizer and input encoder of an exported model; whatever the metadata holds, this succeeds or throws
    /// <see cref="InvalidDataException"/> naming <paramref name="source"/> (or, for a vocabulary the caller must give,
    /// <see cref="InvalidOperationException"/> / <see cref="FileNotFoundException"/>).
    /// </summary>
    internal static (OnnxModelMetadata, ErnieTokenizer, InputEncoder) ReadScoringSetup(IReadOnlyDictionary<string, string> map, string vocabularyPath, string source)
    {
        var metadata = OnnxModelMetadata.Read(map, source);
        try
        {
            var tokenizer = LoadTokenizer(metadata, vocabularyPath, source);
            return (metadata, tokenizer, metadata.CreateInputEncoder(tokenizer));
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or Prompting.TemplateParseException or ArgumentException or FormatException)
        {
            throw new InvalidDataException($"{source}: its metadata cannot be used ({e.Message}). The file is damaged or was not exported by Microsoft.ML.PromptLearning; export the model again.", e);
        }
        catch (InvalidDataException e) when (!e.Message.Contains(source, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }

    private static ErnieTokenizer LoadTokenizer(OnnxModelMetadata metadata, string vocabularyPath, string source)
    {
        string text = metadata.Vocab;
        if (text is null)
        {
            if (string.IsNullOrEmpty(vocabularyPath))
                throw new InvalidOperationException($"{source} was exported without its vocabulary; set {nameof(OnnxPredictorOptions)}.{nameof(OnnxPredictorOptions.VocabularyPath)} to the model's vocab.txt.");
            if (!File.Exists(vocabularyPath)) throw new FileNotFoundException($"Vocabulary file '{vocabularyPath}' does not exist.", vocabularyPath);
            text = File.ReadAllText(vocabularyPath, System.Text.Encoding.UTF8);
        }
        if (metadata.VocabSha256 is not null && OnnxModelMetadata.Sha256(text) != metadata.VocabSha256)
            throw new InvalidDataException(metadata.Vocab is null
                ? $"Vocabulary file '{vocabularyPath}' is not the one the model was trained with (its SHA-256 differs from the model's vocab_sha256)."
                : $"{source}: the embedded vocabulary does not match its vocab_sha256; the file is damaged.");
        return ErnieTokenizer.FromVocabText(text, metadata.DoLowerCase);
    }
}
