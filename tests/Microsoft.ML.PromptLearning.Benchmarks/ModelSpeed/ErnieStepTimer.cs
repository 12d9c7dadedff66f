using Microsoft.ML.PromptLearning.Ernie;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Benchmarks.ModelSpeed;

/// <summary>
/// Times a randomly initialised masked LM on one fixed random batch: forward in eval mode without gradients, and forward + backward in
/// train mode with the MLM cross-entropy at a fixed 15% of the positions (computed with <see cref="ErnieForMaskedLM.PredictAt"/>).
/// Both run the same graph (encoder + head at the masked positions), each step inside its own dispose scope.
/// </summary>
internal sealed class ErnieStepTimer : IDisposable
{
    private readonly ErnieForMaskedLM model;
    private readonly Tensor inputIds, positions, labels;

    public ErnieStepTimer(ErnieConfig config, int batch, int length, double maskRate = 0.15, int seed = 0)
    {
        manual_seed(seed);
        Config = config;
        Batch = batch;
        Length = length;
        model = new ErnieForMaskedLM(config);
        var random = new Random(seed);
        Predicted = Math.Max(1, (int)Math.Round(maskRate * batch * length));
        var flat = Enumerable.Range(0, batch * length).OrderBy(_ => random.Next()).Take(Predicted).Order().Select(p => (long)p).ToArray();
        inputIds = randint(5, config.VocabSize, new long[] { batch, length }).DetachFromDisposeScope();
        positions = tensor(flat).DetachFromDisposeScope();
        labels = inputIds.reshape(-1).index_select(0, positions).DetachFromDisposeScope();
    }

    public ErnieConfig Config { get; }
    public int Batch { get; }
    public int Length { get; }
    /// <summary>Positions whose vocabulary logits are computed (15% of B·T).</summary>
    public int Predicted { get; }

    /// <summary>Parameters of the model (embeddings included).</summary>
    public long ParameterCount => model.parameters().Sum(p => p.numel());

    public void Forward()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        var hidden = model.Encode(new ErnieInputs { InputIds = inputIds }).LastHiddenState;   // [B, T, H]
        model.PredictAt(hidden, positions);                                                     // [M, V]
    }

    public void ForwardBackward()
    {
        using var scope = NewDisposeScope();
        model.train();
        model.zero_grad();
        var hidden = model.Encode(new ErnieInputs { InputIds = inputIds }).LastHiddenState;   // [B, T, H]
        var logits = model.PredictAt(hidden, positions);                                        // [M, V]
        var loss = nn.functional.cross_entropy(logits, labels);
        loss.backward();
    }

    public void Dispose()
    {
        model.Dispose();
        inputIds.Dispose();
        positions.Dispose();
        labels.Dispose();
    }
}
