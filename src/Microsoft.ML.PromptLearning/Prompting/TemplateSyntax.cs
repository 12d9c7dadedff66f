using System.Globalization;
using System.Text;

namespace Microsoft.ML.PromptLearning.Prompting;

/// <summary>Kinds of Python literal that may appear inside a template block.</summary>
internal enum PyKind { None, String, Int, Bool, List }

/// <summary>A Python literal read from a template block, with the index of its first character.</summary>
internal sealed record PyValue(PyKind Kind, object Value, int Position)
{
    public string AsString => (string)Value;
    public long AsInt => (long)Value;
    public bool AsBool => (bool)Value;

    public string Describe() => Kind switch
    {
        PyKind.None => "None",
        PyKind.String => $"'{Value}'",
        PyKind.Int => AsInt.ToString(CultureInfo.InvariantCulture),
        PyKind.Bool => AsBool ? "True" : "False",
        _ => "a list",
    };
}

/// <summary>One <c>key</c> or <c>key: value</c> entry of a block; <see cref="Value"/> is null for set-style keys (<c>{'mask'}</c>).</summary>
internal sealed record RawEntry(string Key, int KeyPosition, PyValue Value);

/// <summary>A block as written: either bare text or a <c>{…}</c> literal.</summary>
internal sealed record RawBlock(int Position, bool AddSpace, string BareText, IReadOnlyList<RawEntry> Entries);

/// <summary>
/// Reads PaddleNLP's template syntax without evaluating anything: a sequence of bare text and <c>{…}</c> blocks holding a
/// Python dict or set literal (quoted keys; values are quoted strings with Python escapes, whole numbers, <c>None</c>,
/// <c>True</c>, <c>False</c> or lists of those). Spaces before a block are recorded as <c>add_space</c> and bare text is
/// right-trimmed, exactly as PaddleNLP's <c>parse_template_string</c> does.
/// </summary>
internal static class TemplateSyntax
{
    public static List<RawBlock> ReadBlocks(string template)
    {
        var blocks = new List<RawBlock>();
        int i = 0, n = template.Length;
        while (i < n)
        {
            bool addSpace = template[i] == ' ';
            while (i < n && template[i] == ' ') i++;
            if (i == n) break;
            if (template[i] == '{')
            {
                int start = i;
                var entries = ReadBlock(template, ref i);
                blocks.Add(new RawBlock(start, addSpace, null, entries));
            }
            else
            {
                int start = i;
                while (i < n && template[i] != '{') i++;
                blocks.Add(new RawBlock(start, addSpace, template[start..i].TrimEnd(' '), null));
            }
        }
        return blocks;
    }

    private static List<RawEntry> ReadBlock(string s, ref int i)
    {
        int blockStart = i;
        i++;   // '{'
        var entries = new List<RawEntry>();
        SkipSpace(s, ref i);
        if (i < s.Length && s[i] == '}') throw Error("empty block {}", blockStart, "write a keyword such as {'mask'} or {'text': 'text_a'}", s);
        while (true)
        {
            SkipSpace(s, ref i);
            if (i >= s.Length) throw Unterminated(s, blockStart);
            int keyPos = i;
            if (s[i] is not ('\'' or '"'))
            {
                var word = ReadWord(s, i);
                throw Error(word.Length > 0 ? $"unquoted keyword '{word}'" : $"unexpected '{s[i]}'", keyPos,
                    word.Length > 0 ? $"keywords are quoted Python strings: write '{word}'" : "expected a quoted keyword such as 'mask'", s);
            }
            string key = ReadString(s, ref i);
            SkipSpace(s, ref i);
            PyValue value = null;
            if (i < s.Length && s[i] == ':')
            {
                i++;
                SkipSpace(s, ref i);
                value = ReadValue(s, ref i, blockStart);
                SkipSpace(s, ref i);
            }
            entries.Add(new RawEntry(key, keyPos, value));
            if (i >= s.Length) throw Unterminated(s, blockStart);
            if (s[i] == '}') { i++; return entries; }
            if (s[i] != ',') throw Error($"unexpected '{s[i]}'", i, "expected ',' or '}' between entries", s);
            i++;
            SkipSpace(s, ref i);
            if (i < s.Length && s[i] == '}') { i++; return entries; }   // trailing comma
        }
    }

    private static PyValue ReadValue(string s, ref int i, int blockStart)
    {
        if (i >= s.Length) throw Unterminated(s, blockStart);
        int start = i;
        char c = s[i];
        if (c is '\'' or '"') return new PyValue(PyKind.String, ReadString(s, ref i), start);
        if (char.IsAsciiDigit(c) || (c is '-' or '+' && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1])))
        {
            i++;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '_')) i++;
            if (i < s.Length && (s[i] is '.' or 'e' or 'E'))
                throw Error("decimal number", start, "only whole numbers are allowed here", s);
            var digits = s[start..i].Replace("_", "");
            if (!long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) || number is > int.MaxValue or < int.MinValue)
                throw Error($"number {digits} is out of range", start, null, s);
            return new PyValue(PyKind.Int, number, start);
        }
        if (c == '[')
        {
            i++;
            var items = new List<PyValue>();
            while (true)
            {
                SkipSpace(s, ref i);
                if (i >= s.Length) throw Error("unterminated list", start, "missing ']'", s);
                if (s[i] == ']') { i++; break; }
                items.Add(ReadValue(s, ref i, blockStart));
                SkipSpace(s, ref i);
                if (i < s.Length && s[i] == ',') { i++; continue; }
                if (i < s.Length && s[i] == ']') { i++; break; }
                if (i >= s.Length) throw Error("unterminated list", start, "missing ']'", s);
                throw Error($"unexpected '{s[i]}'", i, "expected ',' or ']' in a list", s);
            }
            return new PyValue(PyKind.List, items, start);
        }
        var word = ReadWord(s, i);
        switch (word)
        {
            case "None": i += word.Length; return new PyValue(PyKind.None, null, start);
            case "True": i += word.Length; return new PyValue(PyKind.Bool, true, start);
            case "False": i += word.Length; return new PyValue(PyKind.Bool, false, start);
        }
        if (c == '{') throw Error("nested block", start, "blocks cannot contain other blocks", s);
        throw Error(word.Length > 0 ? $"unknown value '{word}'" : $"unexpected '{c}'", start,
            "values are None, True, False, whole numbers or quoted strings", s);
    }

    /// <summary>Reads a single- or double-quoted Python string starting at <paramref name="i"/> (the quote).</summary>
    private static string ReadString(string s, ref int i)
    {
        int start = i;
        char quote = s[i++];
        var sb = new StringBuilder();
        while (true)
        {
            if (i >= s.Length) throw Error("unterminated string", start, $"add the closing {quote}", s);
            char c = s[i++];
            if (c == quote) return sb.ToString();
            if (c != '\\') { sb.Append(c); continue; }
            if (i >= s.Length) throw Error("unterminated string", start, $"add the closing {quote}", s);
            int escapeAt = i - 1;
            char e = s[i++];
            switch (e)
            {
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case '\n': break;                                    // line continuation
                case 'x': sb.Append(ReadHex(s, ref i, 2, escapeAt)); break;
                case 'u': sb.Append(ReadHex(s, ref i, 4, escapeAt)); break;
                case 'U': sb.Append(ReadHex(s, ref i, 8, escapeAt)); break;
                case >= '0' and <= '7':
                {
                    int value = e - '0';
                    for (int k = 0; k < 2 && i < s.Length && s[i] is >= '0' and <= '7'; k++) value = value * 8 + (s[i++] - '0');
                    sb.Append((char)value);
                    break;
                }
                case 'N': throw Error("\\N{…} escape", escapeAt, "write the character itself or use \\u", s);
                default: sb.Append('\\').Append(e); break;           // Python keeps unknown escapes as written
            }
        }
    }

    private static string ReadHex(string s, ref int i, int digits, int escapeAt)
    {
        if (i + digits > s.Length || !int.TryParse(s.AsSpan(i, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var cp)
            || s.AsSpan(i, digits).ContainsAny('+', '-'))
            throw Error("bad escape", escapeAt, $"\\{s[escapeAt + 1]} needs {digits} hexadecimal digits", s);
        i += digits;
        if (cp > 0x10FFFF || cp is >= 0xD800 and <= 0xDFFF && digits == 8)
            throw Error("bad escape", escapeAt, "not a Unicode code point", s);
        return cp <= 0xFFFF ? ((char)cp).ToString() : char.ConvertFromUtf32(cp);
    }

    private static string ReadWord(string s, int i)
    {
        int j = i;
        while (j < s.Length && (char.IsLetterOrDigit(s[j]) || s[j] == '_')) j++;
        return s[i..j];
    }

    private static void SkipSpace(string s, ref int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t' or '\r' or '\n') i++;
    }

    private static TemplateParseException Unterminated(string s, int blockStart) =>
        Error("unterminated block", blockStart, "missing '}'", s);

    private static TemplateParseException Error(string problem, int position, string hint, string template) =>
        new(problem, position, hint, template);

    /// <summary>Writes <paramref name="text"/> as a single-quoted Python string literal.</summary>
    public static string Quote(string text)
    {
        var sb = new StringBuilder(text.Length + 2).Append('\'');
        foreach (char c in text)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '\'': sb.Append(@"\'"); break;
                case '\n': sb.Append(@"\n"); break;
                case '\r': sb.Append(@"\r"); break;
                case '\t': sb.Append(@"\t"); break;
                default:
                    if (char.IsControl(c)) sb.Append(@"\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('\'').ToString();
    }
}
