using System.Text.Json;
using Microsoft.ML.PromptLearning.Ernie;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.Ernie;

/// <summary>
/// Our tokenizer, model and fill-mask against the PyTorch reference (tests/reference) on the committed tiny checkpoints:
/// tiny-ernie (task types, model.safetensors without the tied decoder) and tiny-bert (bert.* names, pytorch_model.bin).
/// </summary>
public class ReferenceParityTests
{
    public static TheoryData<string, string> Cases() => CasesWhere(_ => true);

    /// <summary>The cases fill-mask can reproduce: it always uses the default token type and position ids.</summary>
    public static TheoryData<string, string> FillMaskCases() => CasesWhere(c => !IsArray(c, "task_type_ids") && !IsArray(c, "position_ids"));

    private static TheoryData<string, string> CasesWhere(Func<JsonElement, bool> keep)
    {
        var data = new TheoryData<string, string>();
        foreach (var fixture in new[] { "tiny-ernie", "tiny-bert" })
            foreach (var c in Expected(fixture).GetProperty("cases").EnumerateArray())
                if (keep(c)) data.Add(fixture, c.GetProperty("name").GetString());
        return data;
    }

    private static bool IsArray(JsonElement c, string key) => c.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Array;

    private static JsonElement Expected(string fixture) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixture(fixture), "expected.json"))).RootElement;

    private static JsonElement Case(string fixture, string name) =>
        Expected(fixture).GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static long[] Longs(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToArray();

    private static Tensor Row(JsonElement c, string key) =>
        c.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Array ? tensor(Longs(v)).unsqueeze(0) : null;

    private static readonly Dictionary<string, PretrainedErnie> Loaded = new();
    private static PretrainedErnie Load(string fixture)
    {
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(fixture, out var m)) Loaded[fixture] = m = ErnieCheckpoint.Load(TestPaths.Fixture(fixture));
            return m;
        }
    }

    private static float MaxAbs(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [Theory]
    [MemberData(nameof(Cases))]
    public void TokenizerMatchesReference(string fixture, string name)
    {
        var c = Case(fixture, name);
        var tok = Load(fixture).Tokenizer;
        var pair = c.GetProperty("text_pair");
        var enc = tok.Encode(c.GetProperty("text").GetString(), pair.ValueKind == JsonValueKind.String ? pair.GetString() : null);
        Assert.Equal(c.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()), enc.InputIds.Select(tok.IdToToken));
        Assert.Equal(Longs(c.GetProperty("input_ids")), enc.InputIds.Select(i => (long)i));
        Assert.Equal(Longs(c.GetProperty("token_type_ids")), enc.TokenTypeIds.Select(i => (long)i));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LogitsHiddenAndPooledMatchReference(string fixture, string name)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var c = Case(fixture, name);
        var model = Load(fixture).Model;
        var inputs = new ErnieInputs
        {
            InputIds = Row(c, "input_ids"), TokenTypeIds = Row(c, "token_type_ids"), AttentionMask = Row(c, "attention_mask"),
            TaskTypeIds = Row(c, "task_type_ids"), PositionIds = Row(c, "position_ids"),
        };
        var expected = SafeTensors.Load(Path.Combine(TestPaths.Fixture(fixture), "expected.safetensors"));
        var output = model.Encode(inputs);
        var logits = model.Head.forward(output.LastHiddenState)[0];
        Assert.True(MaxAbs(logits, expected[$"{name}.logits"]) <= 1e-4, $"logits differ by {MaxAbs(logits, expected[$"{name}.logits"])}");
        Assert.True(MaxAbs(output.LastHiddenState[0], expected[$"{name}.last_hidden"]) <= 1e-4);
        Assert.True(MaxAbs(output.PooledOutput[0], expected[$"{name}.pooled"]) <= 1e-4);
        foreach (var t in expected.Values) t.Dispose();
    }

    [Theory]
    [MemberData(nameof(FillMaskCases))]
    public void FillMaskReproducesReferenceTop10(string fixture, string name)
    {
        var c = Case(fixture, name);
        var loaded = Load(fixture);
        var fill = new FillMask(loaded.Model, loaded.Tokenizer);
        var pair = c.GetProperty("text_pair");
        var result = fill.Predict(c.GetProperty("text").GetString(), pair.ValueKind == JsonValueKind.String ? pair.GetString() : null, topK: 10);
        var expectedMasks = c.GetProperty("top10").EnumerateArray().ToList();
        Assert.Equal(Longs(c.GetProperty("mask_positions")), result.Masks.Select(m => (long)m.Position));
        for (int m = 0; m < expectedMasks.Count; m++)
        {
            var want = expectedMasks[m].EnumerateArray().ToList();
            Assert.Equal(want.Select(w => w.GetProperty("id").GetInt32()), result.Masks[m].Top.Select(t => t.Id));
            for (int k = 0; k < 10; k++)
            {
                Assert.InRange(result.Masks[m].Top[k].Logit - want[k].GetProperty("logit").GetDouble(), -1e-3, 1e-3);
                Assert.InRange(result.Masks[m].Top[k].Probability - want[k].GetProperty("probability").GetDouble(), -1e-4, 1e-4);
                Assert.Equal(want[k].GetProperty("token").GetString(), result.Masks[m].Top[k].Token);
            }
        }
    }

    [Theory]
    [InlineData("tiny-ernie")]
    [InlineData("tiny-bert")]
    public void PaddedBatchMatchesReference(string fixture)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var batch = Expected(fixture).GetProperty("batches")[0];
        Tensor Matrix(string key)
        {
            var rows = batch.GetProperty(key).EnumerateArray().Select(Longs).ToArray();
            return tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, rows[0].Length });
        }
        var model = Load(fixture).Model;
        var logits = model.forward(new ErnieInputs { InputIds = Matrix("input_ids"), TokenTypeIds = Matrix("token_type_ids"), AttentionMask = Matrix("attention_mask") });
        var expected = SafeTensors.Load(Path.Combine(TestPaths.Fixture(fixture), "expected.safetensors"));
        var name = batch.GetProperty("name").GetString();
        var mask = Matrix("attention_mask").unsqueeze(-1).to(float32);
        Assert.True(MaxAbs(logits * mask, expected[$"{name}.logits"] * mask) <= 1e-4);
    }
}
