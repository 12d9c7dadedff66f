using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>
/// P-tuning's re-parameterisation of soft vectors (PaddleNLP <c>SoftLSTM</c>): a 2-layer bidirectional LSTM over the
/// sequence of soft vectors, then Linear(2·hidden → hidden)–ReLU–Linear(hidden → H).
/// </summary>
internal sealed class SoftLstmEncoder : nn.Module<Tensor, Tensor>
{
    private readonly LSTM lstm;
    private readonly Sequential mlp;

    /// <summary>Creates the encoder for vectors of width <paramref name="embedSize"/>.</summary>
    public SoftLstmEncoder(int embedSize, int hiddenSize, Device device = null) : base(nameof(SoftLstmEncoder))
    {
        lstm = nn.LSTM(embedSize, hiddenSize, numLayers: 2, bidirectional: true, batchFirst: true, device: device);
        mlp = nn.Sequential(nn.Linear(2 * hiddenSize, hiddenSize, device: device), nn.ReLU(), nn.Linear(hiddenSize, embedSize, device: device));
        RegisterComponents();
        this.KeepOutOfDisposeScopes();
    }

    /// <summary><c>[1, S, H] -> [1, S, H]</c>.</summary>
    public override Tensor forward(Tensor vectors)
    {
        var (output, _, _) = lstm.forward(vectors);                                                // [1, S, 2·hidden]
        return mlp.forward(output);
    }
}

/// <summary>Linear(H → hidden)–ReLU–Linear(hidden → H) applied to each soft vector (PaddleNLP's <c>mlp</c> encoder).</summary>
internal sealed class SoftMlpEncoder : nn.Module<Tensor, Tensor>
{
    private readonly Sequential mlp;

    /// <summary>Creates the encoder for vectors of width <paramref name="embedSize"/>.</summary>
    public SoftMlpEncoder(int embedSize, int hiddenSize, Device device = null) : base(nameof(SoftMlpEncoder))
    {
        mlp = nn.Sequential(nn.Linear(embedSize, hiddenSize, device: device), nn.ReLU(), nn.Linear(hiddenSize, embedSize, device: device));
        RegisterComponents();
        this.KeepOutOfDisposeScopes();
    }

    /// <summary><c>[..., H] -> [..., H]</c>.</summary>
    public override Tensor forward(Tensor vectors) => mlp.forward(vectors);
}
