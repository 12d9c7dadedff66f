using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Training;

/// <summary>The auxiliary losses of PaddleNLP's PromptTrainer.</summary>
internal static class AuxiliaryLosses
{
    /// <summary>
    /// R-Drop: symmetric KL divergence between the predictions of two forward passes with different dropout,
    /// <c>(KL(q‖p) + KL(p‖q)) / 2</c> summed over the batch and classes (PaddleNLP <c>RDropLoss</c>, reduction "none" then sum).
    /// </summary>
    /// <param name="p">Logits of the first pass <c>[B, C]</c>.</param>
    /// <param name="q">Logits of the second pass <c>[B, C]</c>.</param>
    public static Tensor RDrop(Tensor p, Tensor q)
    {
        var logP = nn.functional.log_softmax(p, -1);
        var logQ = nn.functional.log_softmax(q, -1);
        var pq = (logQ.exp() * (logQ - logP)).sum();   // kl_div(log_softmax(p), softmax(q)) = Σ q (log q − log p)
        var qp = (logP.exp() * (logP - logQ)).sum();
        return (pq + qp) / 2;
    }

    /// <summary>
    /// RGL (relation graph loss), vectorised: for every ordered pair (i, j) of the batch, the cosine similarity s of their
    /// features gives 2-way logits <c>[(1−s)·50, (1+s)·50]</c> against "same label?"; the cross-entropies are summed,
    /// divided by <c>b(b−1)</c> and by 100, times <paramref name="alpha"/> (PaddleNLP <c>_compute_rgl_loss</c>, which loops over pairs).
    /// </summary>
    /// <param name="features">One vector per example <c>[B, H]</c>.</param>
    /// <param name="labels">Class indices <c>[B]</c>.</param>
    /// <param name="alpha">Weight of the loss.</param>
    public static Tensor Rgl(Tensor features, Tensor labels, double alpha)
    {
        long b = features.shape[0];
        if (b < 2) return zeros(1, device: features.device).sum();
        var unit = nn.functional.normalize(features, p: 2, dim: 1, eps: 1e-8);
        var s = matmul(unit, unit.t());                                               // [B, B]
        var logits = stack(new[] { (1 - s) * 50, (1 + s) * 50 }, dim: -1);            // [B, B, 2]
        var same = labels.unsqueeze(1).eq(labels.unsqueeze(0)).to(int64);             // [B, B]
        var ce = nn.functional.cross_entropy(logits.reshape(-1, 2), same.reshape(-1), reduction: nn.Reduction.Sum);
        return ce / (b * (b - 1)) / 100 * alpha;
    }

    /// <summary>
    /// Knowledge distillation (PET's final step, Hinton et al.): the mean over rows of <c>T_r² · KL(q_r ‖ softmax(z_r / T_r))</c>,
    /// where <c>q_r</c> is the target distribution and <c>T_r</c> is <paramref name="temperature"/> on rows whose target is a
    /// teacher's soft label and 1 on labelled rows (whose one-hot target makes the term their cross-entropy). The
    /// teacher's side of the temperature is already in <c>q</c> (see <c>SoftLabels.Sharpen</c>); <c>T²</c> keeps the gradient
    /// scale independent of the temperature.
    /// </summary>
    /// <param name="logits">Student logits <c>[B, C]</c>.</param>
    /// <param name="targets">Target distributions <c>[B, C]</c> (rows sum to 1).</param>
    /// <param name="softRows"><c>[B]</c>: 1 for a soft-label row, 0 for a labelled row.</param>
    /// <param name="temperature">Distillation temperature (≥ 1 softens).</param>
    public static Tensor Distillation(Tensor logits, Tensor targets, Tensor softRows, double temperature)
    {
        var t = (softRows * (temperature - 1) + 1).to(logits.dtype);                        // [B]
        var logP = nn.functional.log_softmax(logits / t.unsqueeze(1), -1);                  // [B, C]
        var kl = (targets * (targets.clamp_min(1e-12).log() - logP)).sum(-1);               // [B]; 0·log 0 = 0
        return (kl * t * t).mean();
    }
}
