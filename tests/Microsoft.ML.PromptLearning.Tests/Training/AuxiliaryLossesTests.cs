using Microsoft.ML.PromptLearning.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.Training;

public class AuxiliaryLossesTests
{
    private static double[] Softmax(double[] x) { var e = x.Select(Math.Exp).ToArray(); var s = e.Sum(); return e.Select(v => v / s).ToArray(); }

    [Fact]
    public void RDropIsHalfTheSymmetricKlSummedOverTheBatch()
    {
        double[][] p = { new[] { 1.0, 2.0, 0.5 }, new[] { -1.0, 0.0, 3.0 } };
        double[][] q = { new[] { 0.5, 2.5, 0.0 }, new[] { 0.0, 0.0, 2.0 } };
        double expected = 0;
        for (int b = 0; b < 2; b++)
        {
            var sp = Softmax(p[b]); var sq = Softmax(q[b]);
            for (int c = 0; c < 3; c++) expected += (sq[c] * Math.Log(sq[c] / sp[c]) + sp[c] * Math.Log(sp[c] / sq[c])) / 2;
        }
        var actual = AuxiliaryLosses.RDrop(tensor(p.SelectMany(r => r).Select(v => (float)v).ToArray(), new long[] { 2, 3 }),
            tensor(q.SelectMany(r => r).Select(v => (float)v).ToArray(), new long[] { 2, 3 })).item<float>();
        Assert.Equal(expected, actual, 1e-4);
        Assert.Equal(0f, AuxiliaryLosses.RDrop(tensor(new float[] { 1, 2, 3 }).reshape(1, 3), tensor(new float[] { 1, 2, 3 }).reshape(1, 3)).item<float>(), 1e-6);
    }

    [Fact]
    public void RglMatchesPaddleNlpPairLoop()
    {
        var features = new[] { new[] { 1.0, 0.0 }, new[] { 0.6, 0.8 }, new[] { -1.0, 0.2 } };
        var labels = new long[] { 0, 0, 1 };
        double alpha = 0.5, sum = 0;
        int b = 3;
        // PaddleNLP _compute_rgl_loss: every ordered pair (i, j), including i == j, then / (b (b - 1)) / 100 * alpha.
        for (int i = 0; i < b; i++)
            for (int j = 0; j < b; j++)
            {
                double dot = features[i][0] * features[j][0] + features[i][1] * features[j][1];
                double cos = dot / (Math.Sqrt(features[i].Sum(v => v * v)) * Math.Sqrt(features[j].Sum(v => v * v)));
                var logits = new[] { (1 - cos) * 50, (1 + cos) * 50 };
                int target = labels[i] == labels[j] ? 1 : 0;
                double max = logits.Max();
                double logSum = max + Math.Log(logits.Sum(l => Math.Exp(l - max)));
                sum += logSum - logits[target];
            }
        double expected = sum / (b * (b - 1)) / 100 * alpha;
        var actual = AuxiliaryLosses.Rgl(tensor(features.SelectMany(r => r).Select(v => (float)v).ToArray(), new long[] { 3, 2 }), tensor(labels), alpha).item<float>();
        Assert.Equal(expected, actual, 1e-3);
    }

    [Fact]
    public void DistillationIsTheTemperatureScaledKlOnSoftRowsAndCrossEntropyOnLabelledRows()
    {
        double[] z0 = { 2.0, 0.0, -1.0 }, z1 = { 0.5, 1.5, 0.0 };
        double[] q0 = { 0.5, 0.3, 0.2 };            // a teacher's soft label (row 0)
        int label1 = 1;                             // a labelled row (row 1)
        const double t = 2.0;
        var p0 = Softmax(z0.Select(v => v / t).ToArray());
        double kl = q0.Select((q, c) => q * Math.Log(q / p0[c])).Sum() * t * t;
        double ce = -Math.Log(Softmax(z1)[label1]);
        double expected = (kl + ce) / 2;
        var logits = tensor(z0.Concat(z1).Select(v => (float)v).ToArray(), new long[] { 2, 3 });
        var targets = tensor(new float[] { 0.5f, 0.3f, 0.2f, 0, 1, 0 }, new long[] { 2, 3 });
        var softRows = tensor(new float[] { 1, 0 });
        Assert.Equal(expected, AuxiliaryLosses.Distillation(logits, targets, softRows, t).item<float>(), 1e-5);
        // A student that matches the (temperature-scaled) teacher has zero loss on a soft row.
        var match = tensor(q0.Select(q => (float)(Math.Log(q) * t)).ToArray(), new long[] { 1, 3 });
        Assert.Equal(0.0, AuxiliaryLosses.Distillation(match, tensor(new float[] { 0.5f, 0.3f, 0.2f }, new long[] { 1, 3 }), tensor(new float[] { 1 }), t).item<float>(), 1e-6);
    }
}
