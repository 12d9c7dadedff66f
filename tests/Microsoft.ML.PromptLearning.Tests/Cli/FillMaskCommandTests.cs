using System.Text.Json;
using Microsoft.ML.PromptLearning.Cli;

using static Microsoft.ML.PromptLearning.Tests.Cli.CliRun;

namespace Microsoft.ML.PromptLearning.Tests.Cli;

/// <summary><c>prompt-learn fill-mask</c> end to end through <see cref="CliApp.Run"/>: JSON against the reference fixtures, tables, and every error path.</summary>
public class FillMaskCommandTests
{
    private static JsonElement ExpectedCase(string fixture, string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixture(fixture), "expected.json"))).RootElement
            .GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    [Theory]
    [InlineData("tiny-ernie", "title_two_masks")]
    [InlineData("tiny-ernie", "english_digits")]
    [InlineData("tiny-ernie", "text_pair")]
    [InlineData("tiny-bert", "title_two_masks")]
    [InlineData("tiny-bert", "english_digits")]
    public void JsonMatchesReferenceTop10(string fixture, string name)
    {
        var c = ExpectedCase(fixture, name);
        var args = new List<string> { "fill-mask", "--model", TestPaths.Fixture(fixture), "--text", c.GetProperty("text").GetString(), "--json" };
        if (c.GetProperty("text_pair").ValueKind == JsonValueKind.String) args.AddRange(new[] { "--text-pair", c.GetProperty("text_pair").GetString() });

        var (code, stdout, stderr) = Run(args.ToArray());

        Assert.True(code == 0, stderr);
        Assert.Equal("", stderr);
        Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var json = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(c.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()), json.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));
        var masks = json.GetProperty("masks").EnumerateArray().ToList();
        var positions = c.GetProperty("mask_positions").EnumerateArray().Select(p => p.GetInt32()).ToList();
        Assert.Equal(positions, masks.Select(m => m.GetProperty("position").GetInt32()));
        Assert.All(positions, p => Assert.Equal("[MASK]", json.GetProperty("tokens")[p].GetString()));
        var expectedTop = c.GetProperty("top10").EnumerateArray().ToList();
        for (int m = 0; m < masks.Count; m++)
        {
            var want = expectedTop[m].EnumerateArray().ToList();
            var got = masks[m].GetProperty("top").EnumerateArray().ToList();
            Assert.Equal(10, got.Count);
            Assert.Equal(want.Select(w => w.GetProperty("id").GetInt32()), got.Select(g => g.GetProperty("id").GetInt32()));
            for (int k = 0; k < 10; k++)
            {
                Assert.Equal(want[k].GetProperty("token").GetString(), got[k].GetProperty("token").GetString());
                Assert.InRange(got[k].GetProperty("logit").GetDouble() - want[k].GetProperty("logit").GetDouble(), -1e-3, 1e-3);
                Assert.InRange(got[k].GetProperty("probability").GetDouble() - want[k].GetProperty("probability").GetDouble(), -1e-4, 1e-4);
            }
        }
    }

    [Fact]
    public void TopKLimitsTheCandidates()
    {
        var (code, stdout, _) = Run("fill-mask", "-m", TestPaths.Fixture("tiny-ernie"), "-t", "北京冬奥会开幕式[MASK]利举行", "-k", "3", "--json");
        Assert.Equal(0, code);
        var top = JsonDocument.Parse(stdout).RootElement.GetProperty("masks")[0].GetProperty("top");
        Assert.Equal(3, top.GetArrayLength());
        Assert.Equal(ExpectedCase("tiny-ernie", "title_one_mask").GetProperty("top10")[0][0].GetProperty("id").GetInt32(), top[0].GetProperty("id").GetInt32());
    }

    [Fact]
    public void HumanOutputIsATablePerMask()
    {
        var (code, stdout, stderr) = Run("fill-mask", "--model", TestPaths.Fixture("tiny-ernie"), "--text", "国家统计局：[MASK][MASK]经济运行总体平稳", "--top-k", "4");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.StartsWith("[CLS] 国 家 统 计 局 ： [MASK] [MASK]", lines[0]);
        Assert.Contains("[MASK] 1 of 2 (token 7):", lines);
        Assert.Contains("[MASK] 2 of 2 (token 8):", lines);
        Assert.Equal(2, lines.Count(l => l.Contains("rank") && l.Contains("token") && l.Contains("probability") && l.Contains("logit")));
        var firstRow = lines[lines.IndexOf("[MASK] 1 of 2 (token 7):") + 2];
        var top = ExpectedCase("tiny-ernie", "title_two_masks").GetProperty("top10")[0][0];
        Assert.StartsWith("1  " + top.GetProperty("token").GetString(), firstRow.Trim());
        Assert.EndsWith(top.GetProperty("logit").GetDouble().ToString("0.000", System.Globalization.CultureInfo.InvariantCulture), firstRow);
    }

    [Fact]
    public void MissingModelFolderIsAUsageError()
    {
        var folder = Path.Combine(Path.GetTempPath(), "pl-no-model-" + Guid.NewGuid().ToString("N"));
        var (code, stdout, stderr) = Run("fill-mask", "--model", folder, "--text", "a[MASK]");
        AssertOneLineError(CliApp.UsageError, code, stdout, stderr, folder, "does not exist");
    }

    [Fact]
    public void TextWithoutMaskIsAUsageError()
    {
        var (code, stdout, stderr) = Run("fill-mask", "--model", TestPaths.Fixture("tiny-ernie"), "--text", "没有掩码的句子");
        AssertOneLineError(CliApp.UsageError, code, stdout, stderr, "no [MASK]");
    }

    [Theory]
    [InlineData("Option '--model' is required", "fill-mask", "--text", "a[MASK]")]
    [InlineData("--top-k must be at least 1", "fill-mask", "--model", ".", "--text", "a[MASK]", "--top-k", "0")]
    [InlineData("not-a-number", "fill-mask", "--model", ".", "--text", "a[MASK]", "--top-k", "not-a-number")]
    [InlineData("Required command was not provided")]
    [InlineData("train-everything", "train-everything")]
    public void ParseErrorsAreUsageErrors(string expected, params string[] args)
    {
        var (code, stdout, stderr) = Run(args);
        AssertOneLineError(CliApp.UsageError, code, stdout, stderr, expected, "--help");
    }

    [Fact]
    public void CorruptCheckpointIsARuntimeErrorWithoutStackTrace()
    {
        using var dir = TempDirectory.CopyOf("tiny-ernie");
        var weights = dir.File("model.safetensors");
        using (var fs = new FileStream(weights, FileMode.Open)) fs.SetLength(fs.Length / 2);
        var (code, stdout, stderr) = Run("fill-mask", "--model", dir.Path, "--text", "北京[MASK]");
        AssertOneLineError(CliApp.RuntimeError, code, stdout, stderr, weights, "truncated");
    }

    [Fact]
    public void VerbosePrintsTheStackTrace()
    {
        using var dir = TempDirectory.CopyOf("tiny-ernie");
        File.Delete(dir.File("vocab.txt"));
        var (code, _, stderr) = Run("fill-mask", "--model", dir.Path, "--text", "北京[MASK]", "--verbose");
        Assert.Equal(CliApp.RuntimeError, code);
        Assert.StartsWith("prompt-learn: error: ", stderr);
        Assert.Contains("vocab.txt", stderr);
        Assert.Contains("System.IO.InvalidDataException", stderr);
        Assert.Contains("   at ", stderr);
    }

    [Fact]
    public void HelpListsTheCommandAndSucceeds()
    {
        var (code, stdout, stderr) = Run("--help");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Contains("fill-mask", stdout);
        (code, stdout, _) = Run("fill-mask", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--text-pair", stdout);
        Assert.Contains("--top-k", stdout);
    }
}
