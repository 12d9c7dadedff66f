using Microsoft.ML.PromptLearning.Inference;
using Microsoft.ML.PromptLearning.Ernie;
using Microsoft.ML.PromptLearning.FineTuning;
using Microsoft.ML.PromptLearning.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.FineTuning;

public class FineTuneClassifierTests
{
    private static readonly string[] Texts = ["学生", "经济市场公司产品银行发展很快", "大学老师"];   // different lengths: the batch is padded

    private static (FineTuneClassifier Net, List<EncodedExample> Examples, PretrainedErnie Loaded) Setup(FineTunePooling pooling)
    {
        var loaded = ErnieCheckpoint.Load(TestPaths.Fixture("tiny-ernie"));
        manual_seed(2);
        var net = new FineTuneClassifier(loaded.Model, 3, pooling);
        net.eval();
        var examples = Texts.Select(t => { var e = loaded.Tokenizer.Encode(t); return new EncodedExample { InputIds = e.InputIds, TokenTypeIds = e.TokenTypeIds, Label = 0 }; }).ToList();
        return (net, examples, loaded);
    }

    /// <summary>Runs one text alone (no padding) through the encoder: its last hidden states <c>[T, H]</c> and pooled output <c>[H]</c>.</summary>
    private static (float[,] Hidden, float[] Pooled) Alone(ErnieForMaskedLM plm, EncodedExample e)
    {
        using var _ = no_grad();
        var ids = tensor(e.InputIds.Select(i => (long)i).ToArray()).unsqueeze(0);
        var types = tensor(e.TokenTypeIds.Select(i => (long)i).ToArray()).unsqueeze(0);
        var output = plm.Encode(new ErnieInputs { InputIds = ids, TokenTypeIds = types });
        var last = output.LastHiddenState[0];
        var hidden = new float[last.shape[0], last.shape[1]];
        var flat = last.data<float>().ToArray();
        for (int t = 0; t < hidden.GetLength(0); t++) for (int h = 0; h < hidden.GetLength(1); h++) hidden[t, h] = flat[t * hidden.GetLength(1) + h];
        return (hidden, output.PooledOutput[0].data<float>().ToArray());
    }

    private static float[][] Features(FineTuneClassifier net, List<EncodedExample> examples)
    {
        using var _ = no_grad();
        var features = net.Forward(ClassifierBatch.Collate(examples, CPU, 0)).Features;        // [B, H]
        return Enumerable.Range(0, examples.Count).Select(i => features[i].data<float>().ToArray()).ToArray();
    }

    [Fact]
    public void MeanPoolingAveragesTheTokenStatesOfTheTextAndIgnoresPadding()
    {
        var (net, examples, loaded) = Setup(FineTunePooling.Mean);
        var features = Features(net, examples);
        for (int i = 0; i < examples.Count; i++)
        {
            var (hidden, _) = Alone(loaded.Model, examples[i]);
            int tokens = hidden.GetLength(0);
            Assert.Equal(examples[i].InputIds.Length, tokens);
            for (int h = 0; h < hidden.GetLength(1); h++)
            {
                double mean = Enumerable.Range(0, tokens).Average(t => hidden[t, h]);
                Assert.Equal(mean, features[i][h], 1e-5);
            }
        }
    }

    [Fact]
    public void ClsPoolingReadsTheFirstTokenAndPoolerPoolingAppliesThePooler()
    {
        var (cls, examples, loaded) = Setup(FineTunePooling.Cls);
        var (pooler, _, _) = Setup(FineTunePooling.Pooler);
        var clsFeatures = Features(cls, examples);
        var poolerFeatures = Features(pooler, examples);
        for (int i = 0; i < examples.Count; i++)
        {
            var (hidden, pooled) = Alone(loaded.Model, examples[i]);
            for (int h = 0; h < pooled.Length; h++)
            {
                Assert.Equal(hidden[0, h], clsFeatures[i][h], 1e-5);
                Assert.Equal(pooled[h], poolerFeatures[i][h], 1e-5);
                Assert.InRange(poolerFeatures[i][h], -1f, 1f);                                 // tanh
            }
            Assert.NotEqual(clsFeatures[i][0], poolerFeatures[i][0]);
        }
    }

    [Theory]
    [InlineData(FineTunePooling.Auto, true, FineTunePooling.Pooler)]
    [InlineData(FineTunePooling.Auto, false, FineTunePooling.Mean)]
    [InlineData(FineTunePooling.Cls, false, FineTunePooling.Cls)]
    [InlineData(FineTunePooling.Pooler, false, FineTunePooling.Pooler)]
    [InlineData(FineTunePooling.Mean, true, FineTunePooling.Mean)]
    public void AutoUsesThePoolerOnlyWhenTheCheckpointHasOne(FineTunePooling requested, bool checkpointHasPooler, FineTunePooling expected) =>
        Assert.Equal(expected, FineTuneClassifier.Resolve(requested, checkpointHasPooler));

    [Fact]
    public void AutoCannotBuildAClassifier()
    {
        var loaded = ErnieCheckpoint.Load(TestPaths.Fixture("tiny-ernie"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FineTuneClassifier(loaded.Model, 2, FineTunePooling.Auto));
    }
}
