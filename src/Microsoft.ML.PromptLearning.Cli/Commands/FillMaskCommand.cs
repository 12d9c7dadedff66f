using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.ML.PromptLearning.Ernie;

namespace Microsoft.ML.PromptLearning.Cli.Commands;

/// <summary>
/// <c>prompt-learn fill-mask --model DIR --text "…[MASK]…" [--text-pair "…"] [--top-k 10] [--json]</c>:
/// the most likely tokens for every <c>[MASK]</c>, as a table per mask or as one JSON object.
/// </summary>
internal sealed class FillMaskCommand : System.CommandLine.Command
{
    private readonly Option<string> model = new("--model", "-m") { Description = "Checkpoint folder: config.json, vocab.txt and model.safetensors or pytorch_model.bin.", Required = true, HelpName = "DIR" };
    private readonly Option<string> text = new("--text", "-t") { Description = "Text with one or more [MASK] tokens.", Required = true };
    private readonly Option<string> textPair = new("--text-pair") { Description = "Optional second segment (encoded as [CLS] text [SEP] pair [SEP])." };
    private readonly Option<int> topK = new("--top-k", "-k") { Description = "Candidates to show per [MASK].", DefaultValueFactory = _ => 10 };
    private readonly Option<bool> json = new("--json") { Description = "Print one JSON object: {\"tokens\":[…],\"masks\":[{\"position\":i,\"top\":[{\"id\",\"token\",\"logit\",\"probability\"}…]}]}." };
    private readonly TextWriter stdout;

    public FillMaskCommand(TextWriter stdout) : base("fill-mask", "Predict the tokens hidden behind [MASK] with a masked language model.")
    {
        this.stdout = stdout;
        topK.Validators.Add(r =>
        {
            // the parser reports non-numbers itself; GetValueOrDefault would throw on them
            if (r.Tokens.Count > 0 && int.TryParse(r.Tokens[^1].Value, CultureInfo.InvariantCulture, out var k) && k < 1) r.AddError("--top-k must be at least 1.");
        });
        Options.Add(model);
        Options.Add(text);
        Options.Add(textPair);
        Options.Add(topK);
        Options.Add(json);
        SetAction(Execute);
    }

    private int Execute(ParseResult parsed)
    {
        var folder = parsed.GetValue(model);
        var input = parsed.GetValue(text);
        var pair = parsed.GetValue(textPair);
        CliPaths.Folder("--model", folder, "model folder");
        if (!input.Contains("[MASK]", StringComparison.Ordinal) && pair?.Contains("[MASK]", StringComparison.Ordinal) != true)
            throw new UsageException("--text has no [MASK]; write [MASK] where a token should be predicted, e.g. --text \"今天天气很[MASK]。\"");

        using var fill = FillMask.Load(folder);
        FillMaskResult result;
        try { result = fill.Predict(input, pair, parsed.GetValue(topK)); }
        catch (ArgumentException e) { throw new UsageException(e.Message.Split(" (Parameter")[0]); }

        if (parsed.GetValue(json)) WriteJson(result);
        else WriteTables(result);
        return CliApp.Success;
    }

    private void WriteJson(FillMaskResult result)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartArray("tokens");
            foreach (var t in result.Tokens) w.WriteStringValue(t);
            w.WriteEndArray();
            w.WriteStartArray("masks");
            foreach (var m in result.Masks)
            {
                w.WriteStartObject();
                w.WriteNumber("position", m.Position);
                w.WriteStartArray("top");
                foreach (var c in m.Top)
                {
                    w.WriteStartObject();
                    w.WriteNumber("id", c.Id);
                    w.WriteString("token", c.Token);
                    w.WriteNumber("logit", c.Logit);
                    w.WriteNumber("probability", c.Probability);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private void WriteTables(FillMaskResult result)
    {
        stdout.WriteLine(string.Join(" ", result.Tokens));
        for (int i = 0; i < result.Masks.Count; i++)
        {
            var m = result.Masks[i];
            stdout.WriteLine();
            stdout.WriteLine($"[MASK] {i + 1} of {result.Masks.Count} (token {m.Position}):");
            var table = new TextTable("rank", "token", "probability", "logit") { RightAligned = { 0, 2, 3 } };
            for (int k = 0; k < m.Top.Count; k++)
            {
                var c = m.Top[k];
                table.AddRow((k + 1).ToString(CultureInfo.InvariantCulture), c.Token,
                    c.Probability.ToString("0.0000", CultureInfo.InvariantCulture), c.Logit.ToString("0.000", CultureInfo.InvariantCulture));
            }
            table.Write(stdout);
        }
    }
}
