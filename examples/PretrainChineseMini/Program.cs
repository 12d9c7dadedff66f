// Builds the bundled "ChineseMini" model from scratch:
//   dotnet run -c Release --project examples/PretrainChineseMini -- vocab
//   dotnet run -c Release --project examples/PretrainChineseMini -- pretrain [--out DIR] [--steps N] [--hours H] [--threads T] [--hidden 256] [--layers 4] [--batch-size 32]
//   dotnet run -c Release --project examples/PretrainChineseMini -- export [--out DIR]     (fp16 copy into the model package)
//   dotnet run -c Release --project examples/PretrainChineseMini -- restore-vectors --from DIR --out DIR
//       (puts the character rows of a checkpoint's word embeddings back to their character-vector initialisation;
//        continue with `prompt-learn pretrain --model DIR --embedding-lr-scale 0` to train the encoder around them)
// Data comes from ../shared/data (corpus shards, tnews data.txt = unlabeled titles; never tnews train/dev/test).
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.Pretraining;

string repo = FindRepoRoot();
string shared = Path.GetFullPath(Path.Combine(repo, "..", "shared", "data"));
string package = Path.Combine(repo, "src", "Microsoft.ML.PromptLearning.Models.ChineseMini", "model");
string vocabPath = Path.Combine(package, "vocab.txt");
string charVectors = Path.Combine(shared, "embeddings", "tencent-char-200d", "embeddings.safetensors");
string charVectorTokens = Path.Combine(shared, "embeddings", "tencent-char-200d", "chars.txt");
string command = args.Length > 0 ? args[0] : "pretrain";
string Arg(string name, string dflt) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : dflt; }
string outDir = Arg("--out", Path.Combine(repo, ".runs", "pretrain-chinese-mini"));

switch (command)
{
    case "vocab":
    {
        // Label words and prompts that must stay representable.
        var labelWords = File.ReadAllLines(Path.Combine(shared, "fewclue", "tnews", "label.txt")).Select(l => l.Split("==").Last());
        var required = labelWords.Concat(new[] { "这条新闻标题的主题是", "这条新闻写的是", "阅读下边一则新闻：", "新闻：" });
        var text = CompactVocabulary.Build(Path.Combine(shared, "vocab", "ernie-3.0-base-zh", "vocab.txt"),
            CompactVocabulary.ReadCharFrequencies(Path.Combine(shared, "corpus", "char_freq.tsv")), minCount: 20, required);
        Directory.CreateDirectory(package);
        File.WriteAllText(vocabPath, text);
        Console.WriteLine($"wrote {vocabPath}: {text.Count(c => c == '\n')} tokens");
        break;
    }
    case "pretrain":
    {
        var files = Directory.GetFiles(Path.Combine(shared, "corpus"), "zh-*.txt.xz").Order().ToList();
        // Oversample the news-title sources (unlabeled tnews titles, THUCNews titles): the model's main use is short titles.
        var tnewsUnlabeled = Path.Combine(shared, "fewclue", "tnews", "data.txt");
        var titles = files.Single(f => f.EndsWith("zh-thucnews-titles.txt.xz", StringComparison.Ordinal));
        for (int i = 0; i < 4; i++) files.Add(tnewsUnlabeled);
        for (int i = 0; i < 2; i++) files.Add(titles);
        int hidden = int.Parse(Arg("--hidden", "256"));
        if (hidden < 64 || hidden % 64 != 0)
        {
            Console.Error.WriteLine($"--hidden must be a positive multiple of 64 (one attention head per 64 dimensions), got {hidden}.");
            return 2;
        }
        var config = new ErnieConfig
        {
            // --hidden and --layers size the encoder for the model-size ablation; the bundled model is 256 / 4.
            ModelType = ErnieModelType.Ernie, HiddenSize = hidden, NumHiddenLayers = int.Parse(Arg("--layers", "4")),
            NumAttentionHeads = hidden / 64, IntermediateSize = 4 * hidden,
            MaxPositionEmbeddings = 128, TypeVocabSize = 4, TaskTypeVocabSize = 3, UseTaskId = true, LayerNormEps = 1e-5,
            VocabSize = File.ReadAllText(vocabPath).Count(c => c == '\n'),
        };
        var options = new MlmPretrainingOptions
        {
            OutputDir = outDir, Config = config, VocabPath = vocabPath, TrainFiles = files,
            CharVectorsPath = charVectors, CharVectorsTokensPath = charVectorTokens,
            SequenceLength = 128, BatchSize = int.Parse(Arg("--batch-size", "32")), MaxSteps = long.Parse(Arg("--steps", "4000")),
            LearningRate = 1e-3, WarmupSteps = 100, Decay = Microsoft.ML.PromptLearning.Training.DecayShape.Cosine,
            EmbeddingLearningRateScale = double.Parse(Arg("--embedding-lr-scale", "0.25")),
            EvalSteps = 250, SaveSteps = 250, LoggingSteps = 25, Seed = 42, Threads = int.Parse(Arg("--threads", "2")),
            TimeLimit = TimeSpan.FromHours(double.Parse(Arg("--hours", "100"))),
        };
        var result = new MlmPretrainer(options).Run();
        Console.WriteLine($"done: step {result.Step}, tokens {result.TokensSeen:N0}, held-out masked accuracy {result.HeldOutAccuracy:P2}, loss {result.HeldOutLoss:F4}");
        break;
    }
    case "export":
    {
        var loaded = ErnieCheckpoint.Load(outDir);
        ErnieCheckpoint.Save(loaded.Model, loaded.Tokenizer, package, half: true, includePooler: false);   // masked-LM pretraining never trains the pooler
        File.Copy(Path.Combine(outDir, "metrics.jsonl"), Path.Combine(package, "..", "metrics.jsonl"), overwrite: true);
        Console.WriteLine($"exported fp16 model to {package}");
        break;
    }
    case "restore-vectors":
    {
        var from = Arg("--from", package);
        var loaded = ErnieCheckpoint.Load(from);
        int rows = CharVectorInitializer.Apply(loaded.Model, loaded.Tokenizer, charVectors, charVectorTokens);
        ErnieCheckpoint.Save(loaded.Model, loaded.Tokenizer, outDir, half: false, includePooler: loaded.HasPooler);
        Console.WriteLine($"restored {rows:N0} character rows of {from} to their character-vector initialisation; wrote {outDir}");
        break;
    }
    default:
        Console.Error.WriteLine("usage: PretrainChineseMini vocab|pretrain|export|restore-vectors [--from DIR] [--out DIR] [--steps N] [--hours H] [--threads T] [--hidden H] [--layers L] [--batch-size B]");
        return 2;
}
return 0;

static string FindRepoRoot()
{
    foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
    {
        var dir = new DirectoryInfo(start);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Microsoft.ML.PromptLearning.sln"))) dir = dir.Parent;
        if (dir is not null) return dir.FullName;
    }
    throw new InvalidOperationException("Run from inside the repository.");
}
