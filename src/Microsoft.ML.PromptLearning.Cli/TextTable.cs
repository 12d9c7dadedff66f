using System.Text;

namespace Microsoft.ML.PromptLearning.Cli;

/// <summary>A plain-text table whose columns line up in a terminal, counting East Asian wide characters as two cells.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> rows = new();

    /// <summary>Columns whose values are right-aligned (numbers).</summary>
    public HashSet<int> RightAligned { get; } = new();

    public void AddRow(params string[] cells) => rows.Add(cells);

    public void Write(TextWriter writer, string indent = "  ")
    {
        var widths = headers.Select((h, c) => rows.Select(r => Width(r[c])).Append(Width(h)).Max()).ToArray();
        WriteRow(writer, indent, headers, widths);
        foreach (var row in rows) WriteRow(writer, indent, row, widths);
    }

    private void WriteRow(TextWriter writer, string indent, string[] cells, int[] widths)
    {
        var line = new StringBuilder(indent);
        for (int c = 0; c < cells.Length; c++)
        {
            var pad = new string(' ', widths[c] - Width(cells[c]));
            line.Append(RightAligned.Contains(c) ? pad + cells[c] : cells[c] + pad);
            if (c < cells.Length - 1) line.Append("  ");
        }
        writer.WriteLine(line.ToString().TrimEnd());
    }

    /// <summary>Terminal cells taken by <paramref name="s"/>.</summary>
    internal static int Width(string s)
    {
        int w = 0;
        foreach (var r in s.EnumerateRunes()) w += IsWide(r.Value) ? 2 : 1;
        return w;
    }

    private static bool IsWide(int cp) =>
        cp is >= 0x1100 and <= 0x115F or >= 0x2E80 and <= 0x303E or >= 0x3041 and <= 0x33FF or >= 0x3400 and <= 0x4DBF
           or >= 0x4E00 and <= 0x9FFF or >= 0xA000 and <= 0xA4CF or >= 0xAC00 and <= 0xD7A3 or >= 0xF900 and <= 0xFAFF
           or >= 0xFE30 and <= 0xFE4F or >= 0xFF00 and <= 0xFF60 or >= 0xFFE0 and <= 0xFFE6 or >= 0x20000 and <= 0x3FFFD;
}
