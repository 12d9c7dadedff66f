using System.IO.Compression;
using System.Security.Cryptography;

namespace Microsoft.ML.PromptLearning.Tests;

/// <summary>The content of a zip's entries, for comparing two model zips byte for byte apart from the zip's own timestamps.</summary>
internal static class ZipEntries
{
    /// <summary>SHA-256 of every entry's uncompressed bytes, by entry name (ordinal order).</summary>
    public static SortedDictionary<string, string> Hashes(string zip)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var archive = ZipFile.OpenRead(zip);
        foreach (var entry in archive.Entries)
        {
            using var s = entry.Open();
            entries[entry.FullName] = Convert.ToHexStringLower(SHA256.HashData(s));
        }
        return entries;
    }
}
