using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Tokenization;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Benchmarks;

/// <summary>A randomly initialised ERNIE checkpoint of a given shape in a temporary folder, for speed figures of shapes without shipped weights.</summary>
internal sealed class RandomCheckpoint : IDisposable
{
    /// <summary>The ERNIE 3.0 base vocabulary of ../shared/data (40,000 entries).</summary>
    public static string Ernie3BaseVocabulary => Path.Combine(RepoPaths.Root, "..", "shared", "data", "vocab", "ernie-3.0-base-zh", "vocab.txt");

    /// <summary>Writes a model of <paramref name="config"/> with weights drawn from <paramref name="seed"/> and the vocabulary at <paramref name="vocabPath"/>.</summary>
    public RandomCheckpoint(ErnieConfig config, string vocabPath, int seed)
    {
        Folder = Directory.CreateTempSubdirectory("random-ernie-").FullName;
        manual_seed(seed);
        using var model = new ErnieForMaskedLM(config);
        ErnieCheckpoint.Save(model, ErnieTokenizer.FromVocabFile(vocabPath), Folder);
    }

    /// <summary>The checkpoint folder (config.json, vocab.txt, model.safetensors).</summary>
    public string Folder { get; }

    public void Dispose()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }
}
