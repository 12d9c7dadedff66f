using System.Text;
using CsCheck;
using Microsoft.ML.PromptLearning.Prompting;
using Microsoft.ML.PromptLearning.Tokenization;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.Fuzzing;

/// <summary>
/// Bounded property tests (fixed seeds, a few thousand cases each) over the readers of user files: whatever the bytes, a
/// reader either succeeds or throws its documented exception type with a message, never anything else.
/// </summary>
[Trait("Category", FuzzRunner.Category)]
public class FuzzedReadersTests(FuzzRunner fuzz, ITestOutputHelper output) : IClassFixture<FuzzRunner>
{
    private void OnlyDocumentedFailure<TExpected>(Action read) where TExpected : Exception => fuzz.OnlyDocumentedFailure(read, typeof(TExpected));

    [Fact]
    public void TemplateStringsParseOrFailWithTemplateParseException()
    {
        var pieces = new[] { "{", "}", "'", ":", ",", " ", "text", "text_a", "text_b", "mask", "soft", "sep", "hard", "length", "None", "1", "-3", "99999999999",
            "encoder", "lstm", "position", "token_type", "truncate", "True", "\"", "这条新闻", "\\", "[", "]", "soft_id", "hidden_size", "add_prefix_space" };
        var parts = new[] { "{'text':'text_a'}", "{'text':'text_b'}", "{'mask'}", "{'mask':None,'length':2}", "{'soft'}", "{'soft':'这条'}", "{'hard':'新闻'}",
            "{'sep'}", "{'soft':None,'length':3,'encoder':'lstm'}", "{'text':'text_a','truncate':False}", "{'soft':'新闻','soft_id':1}", "主题" };
        // Whole parts of real templates (mostly valid) or loose pieces of the syntax (mostly not).
        var structured = Gen.Int[0, parts.Length - 1].Array[0, 8].Select(ix => string.Concat(ix.Select(i => parts[i])));
        var loose = Gen.Int[0, pieces.Length - 1].Array[0, 24].Select(ix => string.Concat(ix.Select(i => pieces[i])));
        Gen.OneOf(structured, loose)
            .Fuzz(fuzz, output, "template strings", text => OnlyDocumentedFailure<TemplateParseException>(() => Template.Parse(text)), "0N0XIzNsQ0O2");
    }

    [Fact]
    public void LabelFilesParseOrFailWithInvalidData()
    {
        var pieces = new[] { "news_car", "==", "=", "汽车", "\n", "\r\n", " ", "\t", "#", "==汽车", "\uFEFF", "label", "" };
        Gen.Int[0, pieces.Length - 1].Array[0, 30].Select(ix => string.Concat(ix.Select(i => pieces[i])))
            .Fuzz(fuzz, output, "label.txt", text => OnlyDocumentedFailure<InvalidDataException>(() => LabelWords.Parse(text)), "0N0XIzNsQ0O2");
    }

    [Fact]
    public void DamagedSafetensorsLoadOrFailWithInvalidData()
    {
        byte[] valid;
        using (var ms = new MemoryStream())
        {
            SafeTensors.Save(ms, new Dictionary<string, Tensor> { ["a.weight"] = arange(6, dtype: float32).reshape(2, 3), ["b"] = ones(4, dtype: float32) });
            valid = ms.ToArray();
        }
        // Flip, overwrite or cut bytes anywhere, the header's length prefix and JSON included.
        var damage = Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte, Gen.Int[0, 2]).Array[1, 4];
        damage.Fuzz(fuzz, output, "safetensors bytes", edits =>
        {
            var bytes = (byte[])valid.Clone();
            int length = bytes.Length;
            foreach (var (at, value, kind) in edits)
            {
                if (kind == 0) bytes[at] ^= (byte)(value | 1);
                else if (kind == 1) bytes[at] = value;
                else length = Math.Min(length, at);
            }
            OnlyDocumentedFailure<InvalidDataException>(() =>
            {
                var loaded = SafeTensors.Load(new MemoryStream(bytes, 0, length), "fuzz.safetensors");
                foreach (var t in loaded.Values) t.Dispose();
            });
        }, "0N0XIzNsQ0O2");
    }

    [Fact]
    public void HeaderJsonOfAnyShapeLoadsOrFailsWithInvalidData()
    {
        var values = new[] { "\"F32\"", "\"I64\"", "\"X\"", "[2,3]", "[-1]", "[0,24]", "[24,0]", "[0,99999999999]", "null", "{}", "[]", "1e309", "\"a\"", "[1.5]", "[9223372036854775807,2]" };
        var keys = new[] { "dtype", "shape", "data_offsets", "__metadata__", "x" };
        var entry = Gen.Select(Gen.Int[0, keys.Length - 1], Gen.Int[0, values.Length - 1]).Array[0, 4]
            .Select(kv => "{" + string.Join(",", kv.Select(p => $"\"{keys[p.Item1]}\":{values[p.Item2]}")) + "}");
        entry.Array[0, 3].Fuzz(fuzz, output, "safetensors header JSON", entries =>
        {
            var json = "{" + string.Join(",", entries.Select((e, i) => $"\"t{i}\":{e}")) + "}";
            var header = Encoding.UTF8.GetBytes(json);
            var bytes = BitConverter.GetBytes((long)header.Length).Concat(header).Concat(new byte[24]).ToArray();
            OnlyDocumentedFailure<InvalidDataException>(() =>
            {
                foreach (var t in SafeTensors.Load(new MemoryStream(bytes), "fuzz.safetensors").Values) t.Dispose();
            });
        }, "0N0XIzNsQ0O2");
    }

    [Fact]
    public void ConfigJsonOfAnyShapeLoadsOrFailsWithInvalidData()
    {
        var keys = new[] { "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "hidden_act", "max_position_embeddings",
            "type_vocab_size", "hidden_dropout_prob", "model_type", "use_task_id", "init_args", "architectures", "layer_norm_eps", "pad_token_id" };
        var values = new[] { "64", "0", "-1", "4", "1e10", "0.5", "1.5", "\"gelu\"", "\"swish\"", "\"bert\"", "true", "null", "[]", "[{}]", "{}", "\"12\"",
            "9999999999999999999999", "[\"BertForMaskedLM\"]" };
        var dir = TestPaths.NewTempDir();
        Gen.Select(Gen.Int[0, keys.Length - 1], Gen.Int[0, values.Length - 1]).Array[0, 8].Select(kv => "{" + string.Join(",", kv.Select(p => $"\"{keys[p.Item1]}\":{values[p.Item2]}")) + "}")
            .Fuzz(fuzz, output, "config.json", json =>
            {
                var path = Path.Combine(dir, $"config{Environment.CurrentManagedThreadId}.json");   // cases run on several threads
                File.WriteAllText(path, json);
                OnlyDocumentedFailure<InvalidDataException>(() => global::Microsoft.ML.PromptLearning.Ernie.ErnieConfig.Load(path).Validate());
            }, "0N0XIzNsQ0O2");
    }

    [Fact]
    public void VocabularyTextOfAnyShapeLoadsOrFailsWithInvalidData()
    {
        var pieces = new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "\n", "\r\n", "\r", "学", "生", "##生", "hello", "##", " ", "\t", "\uFEFF", "[unused1]", "\0" };
        const string specials = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
        // Mostly a vocabulary with the special tokens followed by lines of any shape; sometimes without them.
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, pieces.Length - 1].Array[0, 40], (prefix, ix) => (prefix > 0 ? specials : "") + string.Concat(ix.Select(i => pieces[i])))
            .Fuzz(fuzz, output, "vocab.txt", text => OnlyDocumentedFailure<InvalidDataException>(() =>
            {
                var tokenizer = ErnieTokenizer.FromVocabText(text);
                var encoded = tokenizer.Encode("学生 hello 世界", "生学", 16);
                Assert.All(encoded.InputIds, id => Assert.InRange(id, 0, tokenizer.VocabSize - 1));
            }), "0N0XIzNsQ0O2");
    }

    [Fact]
    public void DataFilesOfAnyBytesReadOrFailWithInvalidData()
    {
        var pieces = new[] { "学生", "\t", "教育", "经济", "体育", "\n", "\r\n", " ", "\uFEFF", "\t\t", "#", "" }.Select(Encoding.UTF8.GetBytes)
            .Append([0xFF]).Append([0xE5, 0xAD]).ToArray();
        var root = TestPaths.NewTempDir();
        Gen.Int[0, pieces.Length - 1].Array[0, 30].Select(ix => ix.SelectMany(i => pieces[i]).ToArray())
            .Fuzz(fuzz, output, "train.txt / data.txt", bytes =>
            {
                var dir = Path.Combine(root, $"t{Environment.CurrentManagedThreadId}");   // cases run on several threads
                Directory.CreateDirectory(dir);
                File.WriteAllText(Path.Combine(dir, "label.txt"), "教育==学\n经济\n");
                File.WriteAllBytes(Path.Combine(dir, "train.txt"), bytes);
                var folder = global::Microsoft.ML.PromptLearning.Data.FewShotDataFolder.Open(dir);
                OnlyDocumentedFailure<InvalidDataException>(() => Assert.All(folder.ReadLabeled("train.txt"), r => Assert.False(string.IsNullOrEmpty(r.Text))));
                OnlyDocumentedFailure<InvalidDataException>(() => Assert.NotEmpty(folder.ReadUnlabeled("train.txt")));
            }, "0N0XIzNsQ0O2");
    }
}
