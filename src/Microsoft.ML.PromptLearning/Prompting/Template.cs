using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>
/// A prompt template in PaddleNLP's template language: bare text and <c>{…}</c> blocks such as
/// <c>{'text': 'text_a'}这条新闻写的是{'mask'}{'mask'}</c>. The blocks are read by a small parser for Python literals
/// (nothing is evaluated). A template has at least one <c>{'text'}</c> and one <c>{'mask'}</c>.
/// </summary>
/// <remarks>
/// Keywords: <c>text</c> (<c>'text_a'</c> or <c>'text_b'</c>), <c>hard</c> (or bare text), <c>soft</c>, <c>soft_id</c>,
/// <c>mask</c>, <c>sep</c>. Attributes: <c>length</c> (masks / soft vectors), <c>encoder</c> (<c>'lstm'</c>, <c>'mlp'</c>)
/// and <c>hidden_size</c> (soft), <c>position</c>, <c>token_type</c> (0/1, applies to following parts too),
/// <c>truncate</c> (text and hard parts), <c>add_space</c> (also written as a space before a block).
/// PaddleNLP's option-list templates (<c>options</c>, <c>add_omask</c>, <c>add_prompt</c>) and <c>prefix</c> templates are
/// recognised and rejected with <see cref="NotSupportedException"/>.
/// </remarks>
public sealed class Template
{
    /// <summary>PaddleNLP AutoTemplate's default when no prompt is given: one soft vector before the text, a mask after it.</summary>
    public const string DefaultPrompt = "{'soft'}{'text': 'text_a'}{'mask'}";

    private readonly TemplatePart[] parts;

    private Template(TemplatePart[] parts)
    {
        this.parts = parts;
        MaskCount = parts.Sum(p => p.MaskCount);
        HasSoftParts = parts.Any(p => p.Kind == TemplatePartKind.Soft);
        UsesTextA = parts.Any(p => p.Kind == TemplatePartKind.Text && p.Value == "text_a");
        UsesTextB = parts.Any(p => p.Kind == TemplatePartKind.Text && p.Value == "text_b");
    }

    /// <summary>The blocks in order.</summary>
    public IReadOnlyList<TemplatePart> Parts => parts;

    /// <summary>Total number of <c>[MASK]</c> tokens.</summary>
    public int MaskCount { get; }

    /// <summary>Whether the template has trainable soft prompt vectors (then a <see cref="SoftPromptEmbedding"/> is needed).</summary>
    public bool HasSoftParts { get; }

    /// <summary>Whether the template reads the first text.</summary>
    public bool UsesTextA { get; }

    /// <summary>Whether the template reads the second text.</summary>
    public bool UsesTextB { get; }

    /// <summary>Parses a template string.</summary>
    /// <exception cref="TemplateParseException">The string is malformed, or the template has no text or no mask.</exception>
    /// <exception cref="NotSupportedException">The template uses option lists or a prefix.</exception>
    public static Template Parse(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var (parts, positions) = ReadParts(template);
        return Create(parts, positions, template);
    }

    /// <summary>
    /// PaddleNLP's <c>AutoTemplate</c>: a full template is parsed as is; a plain prompt without a <c>text</c> block becomes
    /// <c>{'text': 'text_a'}</c> + prompt (+ <c>{'mask'}</c> if the prompt has none), so <c>"这条新闻写的是"</c> means
    /// <c>{'text': 'text_a'}这条新闻写的是{'mask'}</c>. Null or blank gives <see cref="DefaultPrompt"/>.
    /// </summary>
    public static Template FromPrompt(string prompt)
    {
        if (string.IsNullOrWhiteSpace(prompt)) prompt = DefaultPrompt;
        var (parts, positions) = ReadParts(prompt);
        if (!parts.Any(p => p.Kind == TemplatePartKind.Text))
        {
            parts.Insert(0, new TemplatePart { Kind = TemplatePartKind.Text, Value = "text_a" });
            positions.Insert(0, 0);
            if (!parts.Any(p => p.Kind == TemplatePartKind.Mask))
            {
                parts.Add(new TemplatePart { Kind = TemplatePartKind.Mask });
                positions.Add(prompt.Length);
            }
        }
        return Create(parts, positions, prompt);
    }

    /// <summary>Builds a template from parts (validated exactly like a parsed template).</summary>
    public static Template FromParts(IEnumerable<TemplatePart> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var list = parts.ToList();
        if (list.Any(p => p is null)) throw new ArgumentException("A template part is null.", nameof(parts));
        var parsed = Parse(Format(list));
        for (int i = 0; i < list.Count; i++)
            if (parsed.parts.Length != list.Count || parsed.parts[i] != list[i])
                throw new TemplateParseException($"part {i} ({list[i]}) cannot be written in the template language", null, null, parsed.ToString());
        return parsed;
    }

    /// <summary>The canonical template string; <see cref="Parse"/> of it gives an equal template.</summary>
    public override string ToString() => Format(parts);

    /// <summary>
    /// The parts as a JSON array of objects in PaddleNLP's form (the first line of its <c>template_config.json</c>),
    /// e.g. <c>[{"text":"text_a"},{"hard":"说明"},{"mask":null,"length":2}]</c>.
    /// </summary>
    public string ToJson()
    {
        var array = new JsonArray();
        foreach (var p in parts) array.Add(PartToJson(p));
        return array.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Reads the JSON written by <see cref="ToJson"/> (or the first line of a PaddleNLP <c>template_config.json</c> of a manual template).</summary>
    public static Template FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode root;
        try { root = JsonNode.Parse(json); }
        catch (JsonException e) { throw new TemplateParseException($"template JSON is not valid JSON: {e.Message}"); }
        if (root is not JsonArray array) throw new TemplateParseException("template JSON must be an array of part objects");
        var parts = new List<TemplatePart>();
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject obj) throw new TemplateParseException($"template JSON part {i} is not an object");
            var entries = new List<RawEntry>();
            foreach (var (key, value) in obj) entries.Add(new RawEntry(key, 0, JsonToPy(value, i, key)));
            bool addSpace = entries.Any(e => e.Key == "add_space");
            try { parts.Add(TemplatePartReader.Read(new RawBlock(0, addSpace, null, entries), null)); }
            catch (TemplateParseException e) { throw new TemplateParseException($"template JSON part {i}: {e.Problem}", null, e.Hint); }
        }
        return Create(parts, null, null);
    }

    /// <summary>File name of the saved template (PaddleNLP's <c>template_config.json</c>).</summary>
    public const string ConfigFileName = "template_config.json";

    /// <summary>
    /// The saved form, as PaddleNLP's <c>Template.save</c> writes <c>template_config.json</c>: the parts (<see cref="ToJson"/>)
    /// on the first line and <c>{"class": "SoftTemplate"}</c> or <c>{"class": "ManualTemplate"}</c> on the second. The model
    /// zip, the checkpoints and the ONNX metadata store exactly this text.
    /// </summary>
    public string ToConfigText() =>
        ToJson() + "\n" + new JsonObject { ["class"] = HasSoftParts ? "SoftTemplate" : "ManualTemplate" }.ToJsonString() + "\n";

    /// <summary>
    /// Reads <see cref="ToConfigText"/>'s form or a PaddleNLP <c>template_config.json</c>; a first line alone (the form written
    /// by earlier versions and by PaddleNLP before it added the class line) is read too.
    /// </summary>
    /// <exception cref="TemplateParseException">The parts are malformed, or the class line names a template this library does not support.</exception>
    public static Template FromConfigText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0) throw new TemplateParseException("the template configuration is empty");
        if (lines.Count > 1)
        {
            JsonNode classLine;
            try { classLine = JsonNode.Parse(lines[1]); }
            catch (JsonException e) { throw new TemplateParseException($"the second line of the template configuration is not valid JSON: {e.Message}"); }
            var name = classLine is JsonObject o && o["class"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
            if (name is not null && name != "ManualTemplate" && name != "SoftTemplate" && name != "AutoTemplate")
                throw new TemplateParseException($"the template class '{name}' is not supported; ManualTemplate and SoftTemplate are");
        }
        return FromJson(lines[0]);
    }

    /// <summary>Writes <see cref="ConfigFileName"/> (<see cref="ToConfigText"/>) into <paramref name="folder"/>.</summary>
    public void Save(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigFileName), ToConfigText());
    }

    /// <summary>Reads the <see cref="ConfigFileName"/> of a folder written by <see cref="Save"/>, a checkpoint or PaddleNLP.</summary>
    /// <exception cref="FileNotFoundException">The folder has no template configuration.</exception>
    public static Template Load(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var path = Path.Combine(folder, ConfigFileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{folder}' has no {ConfigFileName}.", path);
        return FromConfigText(File.ReadAllText(path));
    }

    private static (List<TemplatePart> Parts, List<int> Positions) ReadParts(string template)
    {
        var blocks = TemplateSyntax.ReadBlocks(template);
        return (blocks.Select(b => TemplatePartReader.Read(b, template)).ToList(), blocks.Select(b => b.Position).ToList());
    }

    private static Template Create(List<TemplatePart> parts, List<int> positions, string source)
    {
        int? At(int index) => positions?[index];

        if (!parts.Any(p => p.Kind == TemplatePartKind.Text))
            throw new TemplateParseException("the template has no {'text': 'text_a'} block", null,
                "add {'text': 'text_a'} where the input text goes (or pass a plain prompt to Template.FromPrompt)", source);
        if (!parts.Any(p => p.Kind == TemplatePartKind.Mask))
            throw new TemplateParseException("the template has no {'mask'} block", null,
                "add {'mask'} where the label word goes (one {'mask'} per character for per-character label words)", source);

        // soft_id: the first part with an id defines the vectors; later parts only refer to them.
        var definedAt = new Dictionary<int, int>();
        var hiddenSizes = new Dictionary<SoftEncoderKind, int>();
        for (int i = 0; i < parts.Count; i++)
        {
            var p = parts[i];
            if (p.Kind != TemplatePartKind.Soft) continue;
            var encoder = p.Encoder;
            int? hidden = p.HiddenSize;
            if (p.SoftId is int id && definedAt.TryGetValue(id, out var first))
            {
                var def = parts[first];
                if (p.Value is not null || p.Length is not null)
                    throw new TemplateParseException($"soft_id {id} is already defined by part {first}", At(i),
                        "a part that reuses a soft_id takes its vectors from the first part; remove 'soft' text and 'length' here", source);
                if (encoder != SoftEncoderKind.None && encoder != def.Encoder)
                    throw new TemplateParseException($"soft_id {id} reuses vectors encoded with {Name(def.Encoder)} but asks for {Name(encoder)}", At(i),
                        "drop 'encoder' here; shared vectors keep the encoder of their first part", source);
                if (hidden is not null && hidden != def.HiddenSize)
                    throw new TemplateParseException($"soft_id {id} reuses vectors but sets another hidden_size", At(i), "drop 'hidden_size' here", source);
                continue;
            }
            if (p.SoftId is int newId) definedAt[newId] = i;
            if (hidden is not null && encoder == SoftEncoderKind.None)
                throw new TemplateParseException("'hidden_size' without an encoder", At(i), "add 'encoder': 'lstm' or 'encoder': 'mlp'", source);
            if (hidden is int h && encoder != SoftEncoderKind.None)
            {
                if (hiddenSizes.TryGetValue(encoder, out var other) && other != h)
                    throw new TemplateParseException($"two hidden sizes ({other} and {h}) for the {Name(encoder)} encoder", At(i),
                        "all soft parts with the same encoder share one network; give them the same hidden_size", source);
                hiddenSizes[encoder] = h;
            }
        }
        return new Template(parts.ToArray());
    }

    private static string Name(SoftEncoderKind kind) => kind switch
    {
        SoftEncoderKind.Lstm => "'lstm'",
        SoftEncoderKind.Mlp => "'mlp'",
        _ => "no encoder",
    };

    internal static string Format(IReadOnlyList<TemplatePart> parts)
    {
        var sb = new StringBuilder();
        bool previousWasBare = false;
        for (int i = 0; i < parts.Count; i++)
        {
            var p = parts[i];
            if (p.AddSpace) sb.Append(' ');
            bool nextHasSpace = i + 1 < parts.Count && parts[i + 1].AddSpace;
            bool bare = p.Kind == TemplatePartKind.Hard && !previousWasBare && !nextHasSpace && CanBeBare(p);
            if (bare) sb.Append(p.Value);
            else sb.Append(FormatBlock(p));
            previousWasBare = bare;
        }
        return sb.ToString();
    }

    private static bool CanBeBare(TemplatePart p) =>
        p.Truncate is null && p.Position is null && p.TokenType is null && !string.IsNullOrEmpty(p.Value)
        && p.Value.IndexOf('{') < 0 && p.Value[0] != ' ' && p.Value[^1] != ' ';

    private static string FormatBlock(TemplatePart p)
    {
        var entries = new List<string>();
        void Add(string key, string value) => entries.Add(value is null ? TemplateSyntax.Quote(key) : $"{TemplateSyntax.Quote(key)}: {value}");
        static string Int(int v) => v.ToString(CultureInfo.InvariantCulture);

        switch (p.Kind)
        {
            case TemplatePartKind.Text: Add("text", TemplateSyntax.Quote(p.Value)); break;
            case TemplatePartKind.Hard: Add("hard", TemplateSyntax.Quote(p.Value)); break;
            case TemplatePartKind.Mask: Add("mask", "None"); break;
            case TemplatePartKind.Sep: Add("sep", "None"); break;
            case TemplatePartKind.Soft: Add("soft", p.Value is null ? "None" : TemplateSyntax.Quote(p.Value)); break;
        }
        if (p.SoftId is int id) Add("soft_id", Int(id));
        if (p.Length is int length) Add("length", Int(length));
        if (p.Encoder != SoftEncoderKind.None) Add("encoder", p.Encoder == SoftEncoderKind.Lstm ? "'lstm'" : "'mlp'");
        if (p.HiddenSize is int hidden) Add("hidden_size", Int(hidden));
        if (p.Position is int position) Add("position", Int(position));
        if (p.TokenType is int tokenType) Add("token_type", Int(tokenType));
        if (p.Truncate is bool truncate) Add("truncate", truncate ? "True" : "False");
        if (entries.Count == 1 && p.Kind is TemplatePartKind.Mask or TemplatePartKind.Sep or TemplatePartKind.Soft && p.Value is null)
            return "{" + TemplateSyntax.Quote(p.Kind switch { TemplatePartKind.Mask => "mask", TemplatePartKind.Sep => "sep", _ => "soft" }) + "}";
        return "{" + string.Join(", ", entries) + "}";
    }

    private static JsonObject PartToJson(TemplatePart p)
    {
        var o = new JsonObject();
        switch (p.Kind)
        {
            case TemplatePartKind.Text: o["text"] = p.Value; break;
            case TemplatePartKind.Hard: o["hard"] = p.Value; break;
            case TemplatePartKind.Mask: o["mask"] = null; break;
            case TemplatePartKind.Sep: o["sep"] = null; break;
            case TemplatePartKind.Soft: o["soft"] = p.Value; break;
        }
        if (p.SoftId is int id) o["soft_id"] = id;
        if (p.Length is int length) o["length"] = length;
        if (p.Encoder != SoftEncoderKind.None) o["encoder"] = p.Encoder == SoftEncoderKind.Lstm ? "lstm" : "mlp";
        if (p.HiddenSize is int hidden) o["hidden_size"] = hidden;
        if (p.Position is int position) o["position"] = position;
        if (p.TokenType is int tokenType) o["token_type"] = tokenType;
        if (p.Truncate is bool truncate) o["truncate"] = truncate;
        if (p.AddSpace) o["add_space"] = " ";
        return o;
    }

    private static PyValue JsonToPy(JsonNode node, int index, string key)
    {
        switch (node)
        {
            case null: return new PyValue(PyKind.None, null, 0);
            case JsonArray a: return new PyValue(PyKind.List, a.Select(x => JsonToPy(x, index, key)).ToList(), 0);
            case JsonValue v when v.GetValueKind() == JsonValueKind.String: return new PyValue(PyKind.String, v.GetValue<string>(), 0);
            case JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False: return new PyValue(PyKind.Bool, v.GetValue<bool>(), 0);
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var l): return new PyValue(PyKind.Int, l, 0);
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue:
                return new PyValue(PyKind.Int, (long)d, 0);
            default: throw new TemplateParseException($"template JSON part {index}: unsupported value for '{key}': {node.ToJsonString()}");
        }
    }
}
