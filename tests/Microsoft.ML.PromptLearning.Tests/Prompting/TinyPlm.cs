using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Tokenization;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.Prompting;

/// <summary>A randomly initialised ERNIE masked LM (hidden 8) over a small Chinese vocabulary, for hand-checked verbalizer tests.</summary>
internal static class TinyPlm
{
    public const string Characters = "好坏很不差评汽车财经体育分类天气晴朗说明请判断新闻这是的一，。下雪了喜欢错满意";

    public static ErnieTokenizer Tokenizer { get; } =
        ErnieTokenizer.FromVocabText(string.Join("\n", new[] { "[PAD]", "[CLS]", "[SEP]", "[MASK]", "[UNK]" }.Concat(Characters.Select(c => c.ToString()))) + "\n");

    public static ErnieConfig Config => new()
    {
        VocabSize = Tokenizer.VocabSize, HiddenSize = 8, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 16,
        MaxPositionEmbeddings = 64, TypeVocabSize = 2, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0,
    };

    /// <summary>A fresh model (seeded) in eval mode; the MLM bias is made non-zero so that it takes part in the checks.</summary>
    public static ErnieForMaskedLM NewModel(int seed = 7)
    {
        manual_seed(seed);
        var model = new ErnieForMaskedLM(Config);
        using (no_grad()) model.Head.Bias.normal_(0, 0.5);
        model.eval();
        return model;
    }

    public static int Id(string token) => Tokenizer.TryGetId(token, out var id) ? id : throw new KeyNotFoundException(token);

    public static float[] Floats(Tensor t) => t.detach().cpu().contiguous().data<float>().ToArray();
}
