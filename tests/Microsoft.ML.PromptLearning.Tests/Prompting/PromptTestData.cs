using Microsoft.ML.PromptLearning.Tokenization;

namespace Microsoft.ML.PromptLearning.Tests.Prompting;

/// <summary>Tokenizers shared by the prompting tests.</summary>
internal static class PromptTestData
{
    private static readonly Lazy<ErnieTokenizer> ernie = new(() => ErnieTokenizer.FromVocabFile(TestPaths.ErnieVocab));

    /// <summary>The full ERNIE 3.0 base vocabulary; its first lines match PaddleNLP's tiny-random-ernie test vocabulary.</summary>
    public static ErnieTokenizer ErnieVocab => ernie.Value;

    /// <summary>Token strings joined without spaces, like PaddleNLP's tests (<c>tokenizer.decode(ids).replace(" ", "")</c>).</summary>
    public static string Decode(ErnieTokenizer tokenizer, IEnumerable<int> ids) => string.Concat(ids.Select(tokenizer.IdToToken));
}
