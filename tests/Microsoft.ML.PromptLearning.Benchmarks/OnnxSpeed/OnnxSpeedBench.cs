using Microsoft.ML.PromptLearning.Inference;
using System.Diagnostics;
using Google.Protobuf;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.FineTuning;
using Microsoft.ML.PromptLearning.MLNet;
using Microsoft.ML.PromptLearning.Onnx;
using Microsoft.ML.PromptLearning.Tokenization;
using Microsoft.ML.PromptLearning.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Benchmarks.OnnxSpeed;

/// <summary>Throughput and per-call latency of one engine at one batch size and thread count.</summary>
internal sealed record SpeedResult(double SamplesPerSecond, double P50Ms, double P99Ms, int Batches);

/// <summary>
/// A random ERNIE fine-tune classifier, its texts encoded once (tokenization is not timed: it is the same code for every
/// engine), and the ONNX exports of the same weights. Every engine scores the same length-sorted, dynamically padded batches.
/// </summary>
internal sealed class OnnxSpeedBench : IDisposable
{
    private static readonly string[] Labels = Enumerable.Range(0, 15).Select(i => $"class{i}").ToArray();
    private readonly FineTuneClassifier net;
    private readonly ErnieTokenizer tokenizer;
    private readonly List<EncodedExample> examples;
    private readonly Dictionary<string, byte[]> exports = new();
    private float[][] torchReference;

    public OnnxSpeedBench(ErnieConfig config, IReadOnlyList<string> texts, int maxLength, string vocabPath, int seed = 0)
    {
        manual_seed(seed);
        tokenizer = File.Exists(vocabPath) ? ErnieTokenizer.FromVocabFile(vocabPath) : FallbackTokenizer();
        net = new FineTuneClassifier(new ErnieForMaskedLM(config), Labels.Length, FineTunePooling.Pooler);
        net.eval();
        // Ids of a vocabulary larger than the model are folded into its range: speed does not depend on which ids they are.
        examples = texts.Select(t =>
        {
            var e = tokenizer.Encode(t, null, maxLength);
            return new EncodedExample { InputIds = e.InputIds.Select(id => id % config.VocabSize).ToArray(), TokenTypeIds = e.TokenTypeIds };
        }).ToList();
    }

    public long ParameterCount => net.parameters().Sum(p => p.numel());
    public double MeanTokens => examples.Average(e => e.Length);
    public int MaxTokens => examples.Max(e => e.Length);

    private static ErnieTokenizer FallbackTokenizer() =>
        ErnieTokenizer.FromVocabText(string.Join('\n', new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(Enumerable.Range(0x4E00, 3000).Select(c => ((char)c).ToString()))));

    private static OnnxExportOptions ExportOptions(string engine) => engine switch
    {
        "ort-fp32" => new OnnxExportOptions { Precision = OnnxPrecision.Float32 },
        "ort-int8" => new OnnxExportOptions { Precision = OnnxPrecision.Int8 },
        "ort-int8-contrib" => new OnnxExportOptions { Precision = OnnxPrecision.Int8, Int8Kernel = OnnxInt8Kernel.DynamicQuantizeMatMul },
        "ort-int8-nbits" => new OnnxExportOptions { Precision = OnnxPrecision.Int8, Int8Kernel = OnnxInt8Kernel.MatMulNBits },
        "ort-fp16" => new OnnxExportOptions { Precision = OnnxPrecision.Float16 },
        _ => throw new ArgumentException($"Unknown engine '{engine}' (torch, ort-fp32, ort-int8, ort-int8-contrib, ort-int8-nbits, ort-fp16)."),
    };

    /// <summary>Exports the model for an ONNX engine; returns its size and the export time.</summary>
    public (long Bytes, double Seconds) Prepare(string engine)
    {
        var sw = Stopwatch.StartNew();
        var settings = new ScoringSettings { TextColumn = "Text", ScoreColumn = "Score", PredictedLabelColumn = "PredictedLabel", LabelNames = Labels, MaxSequenceLength = 512, EvalBatchSize = 32 };
        exports[engine] = ErnieOnnxExporter.Build(net, new FineTuneOnnxHead(net), tokenizer, settings, ExportOptions(engine)).ToByteArray();
        return (exports[engine].Length, sw.Elapsed.TotalSeconds);
    }

    /// <summary>Max |Δp| and argmax agreement of an ONNX engine against TorchSharp over every text (2 threads, batch 32).</summary>
    public (double MaxDiff, double Agreement) CompareWithTorch(string engine)
    {
        set_num_threads(2);
        torchReference ??= TorchScoring.PredictProbabilities(net, examples, 32, CPU, tokenizer.PadId);
        using var predictor = new OnnxPredictor(exports[engine], new OnnxPredictorOptions { BatchSize = 32, IntraOpNumThreads = 2 });
        var onnx = predictor.Run(examples);
        double max = 0;
        int same = 0;
        for (int i = 0; i < examples.Count; i++)
        {
            for (int c = 0; c < Labels.Length; c++) max = Math.Max(max, Math.Abs(onnx[i][c] - torchReference[i][c]));
            if (global::Microsoft.ML.PromptLearning.Inference.Probabilities.ArgMax(onnx[i]) == global::Microsoft.ML.PromptLearning.Inference.Probabilities.ArgMax(torchReference[i])) same++;
        }
        return (max, (double)same / examples.Count);
    }

    /// <summary>Scores every text once (after a warm-up on a few batches) and times each batch.</summary>
    public SpeedResult Measure(string engine, int batchSize, int threads)
    {
        var batches = LengthBuckets.ScoringBatches(examples.Select(e => e.Length).ToArray(), batchSize)
            .Select(ix => (IReadOnlyList<EncodedExample>)ix.Select(i => examples[i]).ToList()).ToList();
        Action<IReadOnlyList<EncodedExample>> score;
        OnnxPredictor predictor = null;
        if (engine == "torch")
        {
            set_num_threads(threads);
            score = batch => TorchScoring.PredictProbabilities(net, batch, batch.Count, CPU, tokenizer.PadId);
        }
        else
        {
            if (!exports.ContainsKey(engine)) Prepare(engine);
            predictor = new OnnxPredictor(exports[engine], new OnnxPredictorOptions { BatchSize = batchSize, IntraOpNumThreads = threads });
            score = batch => predictor.RunBatch(batch);
        }
        try
        {
            // Warm-up: the shortest, a middle and the longest batch (allocators, kernels, thread pools).
            foreach (var i in new[] { 0, batches.Count / 2, batches.Count - 1 }.Distinct()) score(batches[i]);
            var times = new double[batches.Count];
            var total = Stopwatch.StartNew();
            for (int i = 0; i < batches.Count; i++)
            {
                var sw = Stopwatch.StartNew();
                score(batches[i]);
                times[i] = sw.Elapsed.TotalMilliseconds;
            }
            double seconds = total.Elapsed.TotalSeconds;
            Array.Sort(times);
            return new SpeedResult(examples.Count / seconds, Percentile(times, 0.50), Percentile(times, 0.99), batches.Count);
        }
        finally
        {
            predictor?.Dispose();
        }
    }

    private static double Percentile(double[] sorted, double q)
    {
        if (sorted.Length == 1) return sorted[0];
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(sorted.Length - 1, lo + 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    public void Dispose() => net.Dispose();
}
