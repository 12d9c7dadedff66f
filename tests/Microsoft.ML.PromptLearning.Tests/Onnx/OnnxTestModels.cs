using Microsoft.ML.PromptLearning.Inference;
using System.Diagnostics;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.FineTuning;
using Microsoft.ML.PromptLearning.MLNet;
using Microsoft.ML.PromptLearning.Onnx;
using Microsoft.ML.PromptLearning.Tokenization;
using Microsoft.ML.PromptLearning.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.Onnx;

/// <summary>Models, texts and direct ONNX Runtime calls shared by the ONNX tests.</summary>
internal static class OnnxTestModels
{
    /// <summary>Texts of very different lengths (one longer than the maximum length), so that batches carry padding.</summary>
    public static readonly string[] Texts =
    [
        "学生",
        "经济市场公司产品银行发展很快",
        "老师",
        "大学高中老师文化教育学生，经济市场公司产品银行发展；学生教育大学高中老师文化。经济市场公司产品银行发展",
        "hello 世界",
        "文化",
        "公司产品银行",
    ];

    public static readonly string[] Labels = ["教育", "经济", "体育"];

    public static ScoringSettings Settings(string[] labels, int maxLength = 32) => new()
    {
        TextColumn = "Text", ScoreColumn = "Score", PredictedLabelColumn = "PredictedLabel", LabelNames = labels,
        MaxSequenceLength = maxLength, EvalBatchSize = 4,
    };

    /// <summary>The tiny-ernie checkpoint with a fine-tune head whose weights are large enough to give peaked probabilities.</summary>
    public static (FineTuneClassifier Net, ErnieTokenizer Tokenizer) TinyErnieFineTune(int seed = 5, FineTunePooling pooling = FineTunePooling.Pooler)
    {
        var pretrained = ErnieCheckpoint.Load(TestPaths.Fixture("tiny-ernie"));
        return (FineTune(pretrained.Model, seed, pooling), pretrained.Tokenizer);
    }

    /// <summary>A random model over the tiny-ernie vocabulary with the given architecture switches.</summary>
    public static (FineTuneClassifier Net, ErnieTokenizer Tokenizer) RandomFineTune(string activation, bool tieWordEmbeddings, bool useTaskId, int seed = 7)
    {
        var tokenizer = ErnieTokenizer.FromVocabFile(Path.Combine(TestPaths.Fixture("tiny-ernie"), "vocab.txt"));
        manual_seed(seed);
        var config = new ErnieConfig
        {
            VocabSize = tokenizer.VocabSize + 3, HiddenSize = 48, NumHiddenLayers = 2, NumAttentionHeads = 3, IntermediateSize = 96,
            HiddenAct = activation, TieWordEmbeddings = tieWordEmbeddings, UseTaskId = useTaskId, MaxPositionEmbeddings = 64,
            TypeVocabSize = 2, LayerNormEps = 1e-12, ModelType = useTaskId ? ErnieModelType.Ernie : ErnieModelType.Bert,
        };
        var plm = new ErnieForMaskedLM(config);
        using (no_grad())
        {
            // Non-trivial LayerNorm parameters and biases, so that a wrongly wired one shows.
            foreach (var (name, p) in plm.named_parameters())
                if (name.EndsWith("bias") || name.EndsWith("LayerNorm.weight")) p.add_(randn_like(p) * 0.1);
        }
        return (FineTune(plm, seed), tokenizer);
    }

    private static FineTuneClassifier FineTune(ErnieForMaskedLM plm, int seed, FineTunePooling pooling = FineTunePooling.Pooler)
    {
        manual_seed(seed);
        var net = new FineTuneClassifier(plm, Labels.Length, pooling);
        using (no_grad())
        {
            foreach (var (name, p) in net.named_parameters())
                if (name.StartsWith("classifier.")) p.copy_(randn_like(p) * 2);
        }
        net.eval();
        return net;
    }

    public static List<EncodedExample> Encode(ErnieTokenizer tokenizer, IEnumerable<string> texts, int maxLength = 32) =>
        texts.Select(t => new TextPairInputEncoder(tokenizer, maxLength).Encode(t, null)).ToList();

    /// <summary>TorchSharp's probabilities, scored in batches of 3 (different padding from the ONNX call).</summary>
    public static float[][] TorchProbabilities(ClassifierNet net, IReadOnlyList<EncodedExample> examples, int padId) =>
        TorchScoring.PredictProbabilities(net, examples, 3, CPU, padId);

    /// <summary>Exports to bytes (with the fine-tune head unless <paramref name="head"/> is given).</summary>
    public static byte[] Export(ClassifierNet net, ErnieTokenizer tokenizer, OnnxPrecision precision = OnnxPrecision.Float32,
        OnnxInt8Kernel kernel = OnnxInt8Kernel.MatMulInteger, string[] labels = null, OnnxClassifierHead head = null) =>
        ErnieOnnxExporter.Build(net, head ?? new FineTuneOnnxHead((FineTuneClassifier)net), tokenizer, Settings(labels ?? Labels),
            new OnnxExportOptions { Precision = precision, Int8Kernel = kernel }).ToByteArray();

    /// <summary>Runs the model with ONNX Runtime directly on all examples as one padded batch (no predictor code involved).</summary>
    public static float[][] OrtProbabilities(byte[] model, IReadOnlyList<EncodedExample> examples, int padId)
    {
        using var session = new InferenceSession(model);
        int b = examples.Count, t = examples.Max(e => e.Length);
        var ids = new DenseTensor<long>([b, t]);
        var mask = new DenseTensor<long>([b, t]);
        var types = new DenseTensor<long>([b, t]);
        var positions = new DenseTensor<long>([b, t]);
        var soft = new DenseTensor<long>([b, t]);
        int m = examples[0].MaskPositions.Length;
        var maskPositions = new DenseTensor<long>([b, m]);
        for (int r = 0; r < b; r++)
        {
            for (int i = 0; i < t; i++)
            {
                bool real = i < examples[r].Length;
                ids[r, i] = real ? examples[r].InputIds[i] : padId;
                mask[r, i] = real ? 1 : 0;
                types[r, i] = real ? examples[r].TokenTypeIds[i] : 0;
                positions[r, i] = real ? examples[r].PositionIds?[i] ?? i : 0;
                soft[r, i] = real && examples[r].SoftTokenIds is not null ? examples[r].SoftTokenIds[i] : 0;
            }
            for (int j = 0; j < m; j++) maskPositions[r, j] = examples[r].MaskPositions[j];
        }
        var all = new Dictionary<string, DenseTensor<long>>
        {
            ["input_ids"] = ids, ["attention_mask"] = mask, ["token_type_ids"] = types, ["position_ids"] = positions, ["mask_positions"] = maskPositions, ["soft_token_ids"] = soft,
        };
        var inputs = session.InputMetadata.Keys.Select(k => NamedOnnxValue.CreateFromTensor(k, all[k])).ToList();
        using var results = session.Run(inputs);
        var probs = results.Single(r => r.Name == "probabilities").AsTensor<float>();
        int c = probs.Dimensions[1];
        return Enumerable.Range(0, b).Select(r => Enumerable.Range(0, c).Select(k => probs[r, k]).ToArray()).ToArray();
    }

    public static double MaxAbsDiff(float[][] a, float[][] b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].Length, b[i].Length);
            for (int k = 0; k < a[i].Length; k++) max = Math.Max(max, Math.Abs(a[i][k] - b[i][k]));
        }
        return max;
    }

    /// <summary>Runs <c>onnx.checker.check_model</c> (full check) on a model file with the Debian python3-onnx; returns the exit code and output.</summary>
    public static (int ExitCode, string Output) CheckModel(string path)
    {
        var psi = new ProcessStartInfo(PythonReference.Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("import sys, onnx; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print('ok', m.opset_import)");
        psi.ArgumentList.Add(path);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2))) { p.Kill(true); throw new TimeoutException("onnx.checker did not finish"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>A fact that is skipped, with the reason, when /usr/bin/python3 cannot import onnx (Debian package python3-onnx).</summary>
public sealed class PythonOnnxFactAttribute : FactAttribute
{
    private static readonly Lazy<string> reason = new(() =>
    {
        if (!File.Exists(PythonReference.Interpreter)) return $"{PythonReference.Interpreter} is not installed";
        try
        {
            var psi = new ProcessStartInfo(PythonReference.Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("import onnx");
            using var p = Process.Start(psi)!;
            p.StandardOutput.ReadToEnd();
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? null : $"{PythonReference.Interpreter} cannot import onnx (apt-get install python3-onnx): {err.Trim()}";
        }
        catch (Exception e) { return e.Message; }
    });

    public PythonOnnxFactAttribute()
    {
        if (reason.Value is { } r) Skip = "onnx checker unavailable: " + r;
    }
}
