namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>
/// Turns the keyword/value entries of one template block into a <see cref="TemplatePart"/>, checking every keyword, value
/// type and combination, and pointing at the offending character when something is wrong.
/// </summary>
internal static class TemplatePartReader
{
    public static readonly string[] PartKeywords = ["text", "hard", "soft", "soft_id", "mask", "sep"];
    public static readonly string[] Attributes = ["length", "encoder", "hidden_size", "position", "token_type", "truncate", "add_space"];
    private static readonly string[] Unsupported = ["options", "add_omask", "add_prompt", "prefix"];

    public static TemplatePart Read(RawBlock block, string template)
    {
        if (block.BareText is not null)
        {
            CheckHardText(block.BareText, block.Position, template);
            return new TemplatePart { Kind = TemplatePartKind.Hard, Value = block.BareText, AddSpace = block.AddSpace };
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in block.Entries)
        {
            if (Array.IndexOf(Unsupported, e.Key) >= 0) throw NotSupported(e.Key, e.KeyPosition);
            if (Array.IndexOf(PartKeywords, e.Key) < 0 && Array.IndexOf(Attributes, e.Key) < 0)
                throw new TemplateParseException($"unknown keyword '{e.Key}'", e.KeyPosition,
                    $"expected one of {string.Join(", ", PartKeywords.Concat(Attributes))}{Suggestion(e.Key)}", template);
            if (!seen.Add(e.Key)) throw new TemplateParseException($"duplicate keyword '{e.Key}'", e.KeyPosition, "each keyword may appear once per block", template);
        }

        var kinds = block.Entries.Where(e => e.Key is "text" or "hard" or "soft" or "mask" or "sep").ToList();
        var softId = block.Entries.FirstOrDefault(e => e.Key == "soft_id");
        if (kinds.Count == 0 && softId is not null) kinds.Add(softId);
        if (kinds.Count == 0)
            throw new TemplateParseException("block without a part keyword", block.Position,
                "add one of 'text', 'hard', 'soft', 'mask' or 'sep'", template);
        if (kinds.Count > 1)
            throw new TemplateParseException($"'{kinds[0].Key}' and '{kinds[1].Key}' in one block", kinds[1].KeyPosition,
                "a block holds exactly one of 'text', 'hard', 'soft', 'mask', 'sep'; split it into two blocks", template);
        var main = kinds[0];
        var kind = main.Key switch
        {
            "text" => TemplatePartKind.Text,
            "hard" => TemplatePartKind.Hard,
            "mask" => TemplatePartKind.Mask,
            "sep" => TemplatePartKind.Sep,
            _ => TemplatePartKind.Soft,
        };

        var part = new TemplatePart { Kind = kind, AddSpace = block.AddSpace };
        switch (kind)
        {
            case TemplatePartKind.Text:
            {
                var v = RequireString(main, template, "the text field, 'text_a' or 'text_b'");
                if (v.AsString is not ("text_a" or "text_b"))
                    throw new TemplateParseException($"unknown text field '{v.AsString}'", v.Position,
                        "use 'text_a' (the first text) or 'text_b' (the second text)", template);
                part = part with { Value = v.AsString };
                break;
            }
            case TemplatePartKind.Hard:
            {
                var v = RequireString(main, template, "the prompt text");
                if (v.AsString.Length == 0) throw new TemplateParseException("empty 'hard' text", v.Position, "remove the block or write some prompt text", template);
                CheckHardText(v.AsString, v.Position, template);
                part = part with { Value = v.AsString };
                break;
            }
            case TemplatePartKind.Mask:
            case TemplatePartKind.Sep:
                if (main.Value is not null && main.Value.Kind != PyKind.None)
                    throw new TemplateParseException($"'{main.Key}' takes no value (got {main.Value.Describe()})", main.Value.Position,
                        $"write {{'{main.Key}'}} or {{'{main.Key}': None, …}}", template);
                break;
            case TemplatePartKind.Soft:
            {
                var soft = block.Entries.FirstOrDefault(e => e.Key == "soft");
                if (soft?.Value is { Kind: not PyKind.None } sv)
                {
                    if (sv.Kind != PyKind.String) throw new TemplateParseException($"'soft' must be None or a text (got {sv.Describe()})", sv.Position, null, template);
                    if (sv.AsString.Trim().Length == 0)
                        throw new TemplateParseException("empty 'soft' init text", sv.Position, "use {'soft'} for randomly initialised vectors", template);
                    part = part with { Value = sv.AsString };
                }
                break;
            }
        }

        foreach (var e in block.Entries)
        {
            if (e.Key is "text" or "hard" or "mask" or "sep" or "soft") continue;   // the part keyword, handled above
            part = e.Key switch
            {
                "soft_id" => part with { SoftId = RequireInt(e, template, int.MinValue, int.MaxValue) },
                "length" => Only(e, part, template, "{'mask'} and {'soft'}", TemplatePartKind.Mask, TemplatePartKind.Soft) with { Length = RequireInt(e, template, 1, 100_000) },
                "encoder" => Only(e, part, template, "{'soft'}", TemplatePartKind.Soft) with { Encoder = ReadEncoder(e, template) },
                "hidden_size" => Only(e, part, template, "{'soft'}", TemplatePartKind.Soft) with { HiddenSize = RequireInt(e, template, 1, 1_000_000) },
                "position" => part with { Position = RequireInt(e, template, 0, 1_000_000) },
                "token_type" => part with { TokenType = RequireInt(e, template, 0, 1) },
                "truncate" => Only(e, part, template, "{'text'} and {'hard'} (masks, separators and soft tokens are never cut)", TemplatePartKind.Text, TemplatePartKind.Hard)
                              with { Truncate = RequireBool(e, template) },
                "add_space" => part with { AddSpace = ReadAddSpace(e, template) },
                _ => throw new InvalidOperationException(e.Key),
            };
        }
        return part;
    }

    internal static void CheckHardText(string text, int position, string template)
    {
        int at = text.IndexOf("[MASK]", StringComparison.Ordinal);
        if (at >= 0)
            throw new TemplateParseException("'[MASK]' written as prompt text", position + at,
                "write {'mask'} where the label word goes (or {'mask': None, 'length': 2} for two characters)", template);
    }

    private static TemplatePart Only(RawEntry e, TemplatePart part, string template, string allowed, params TemplatePartKind[] kinds)
    {
        if (Array.IndexOf(kinds, part.Kind) < 0)
            throw new TemplateParseException($"'{e.Key}' on a {KindName(part.Kind)} block", e.KeyPosition, $"'{e.Key}' applies to {allowed} only", template);
        return part;
    }

    internal static string KindName(TemplatePartKind kind) => kind switch
    {
        TemplatePartKind.Text => "'text'",
        TemplatePartKind.Hard => "'hard'",
        TemplatePartKind.Soft => "'soft'",
        TemplatePartKind.Mask => "'mask'",
        _ => "'sep'",
    };

    private static PyValue RequireString(RawEntry e, string template, string what)
    {
        if (e.Value is null) throw new TemplateParseException($"'{e.Key}' needs a value", e.KeyPosition, $"write {{'{e.Key}': …}} with {what}", template);
        if (e.Value.Kind != PyKind.String) throw new TemplateParseException($"'{e.Key}' must be a quoted text (got {e.Value.Describe()})", e.Value.Position, what, template);
        return e.Value;
    }

    private static int RequireInt(RawEntry e, string template, int min, int max)
    {
        if (e.Value is null || e.Value.Kind != PyKind.Int)
            throw new TemplateParseException($"'{e.Key}' must be a whole number (got {e.Value?.Describe() ?? "no value"})", e.Value?.Position ?? e.KeyPosition, null, template);
        long v = e.Value.AsInt;
        if (v < min || v > max)
            throw new TemplateParseException($"'{e.Key}' is {v}", e.Value.Position,
                max == int.MaxValue ? $"it must be at least {min}" : $"it must be between {min} and {max}", template);
        return (int)v;
    }

    private static bool RequireBool(RawEntry e, string template)
    {
        if (e.Value is null || e.Value.Kind != PyKind.Bool)
            throw new TemplateParseException($"'{e.Key}' must be True or False (got {e.Value?.Describe() ?? "no value"})", e.Value?.Position ?? e.KeyPosition, null, template);
        return e.Value.AsBool;
    }

    private static bool ReadAddSpace(RawEntry e, string template) => e.Value switch
    {
        null => true,
        { Kind: PyKind.Bool } v => v.AsBool,
        { Kind: PyKind.String } v => v.AsString.Length > 0,
        var v => throw new TemplateParseException($"'add_space' must be True, False or a text (got {v.Describe()})", v.Position, null, template),
    };

    private static SoftEncoderKind ReadEncoder(RawEntry e, string template)
    {
        if (e.Value is null || e.Value.Kind == PyKind.None) return SoftEncoderKind.None;
        if (e.Value.Kind == PyKind.String && e.Value.AsString == "lstm") return SoftEncoderKind.Lstm;
        if (e.Value.Kind == PyKind.String && e.Value.AsString == "mlp") return SoftEncoderKind.Mlp;
        throw new TemplateParseException($"unknown encoder {e.Value.Describe()}", e.Value.Position, "use 'lstm', 'mlp' or None", template);
    }

    private static NotSupportedException NotSupported(string key, int position) => new(key switch
    {
        "prefix" => $"'prefix' at {position} is not supported: prefix templates (P-tuning v2, vectors in every layer) are out of scope; use {{'soft'}} for trainable prompt vectors at the input.",
        _ => $"'{key}' at {position} is not supported: option lists ('options', 'add_omask', 'add_prompt' — UTC/UniMC/EFL templates) are out of scope; "
             + "classify with {'mask'} and label words instead.",
    });

    private static string Suggestion(string key)
    {
        string best = null;
        int bestDistance = 3;
        foreach (var k in PartKeywords.Concat(Attributes).Concat(Unsupported))
        {
            int d = Distance(key, k);
            if (d < bestDistance) { bestDistance = d; best = k; }
        }
        return best is null ? "" : $" (did you mean '{best}'?)";
    }

    private static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
