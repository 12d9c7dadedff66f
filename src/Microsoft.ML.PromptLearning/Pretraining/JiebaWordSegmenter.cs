using JiebaNet.Segmenter;

namespace Microsoft.ML.PromptLearning.Pretraining;

/// <summary>Splits text into words (for whole-word masking). The words, concatenated, must give back the text.</summary>
public interface IWordSegmenter
{
    /// <summary>The words of <paramref name="text"/> in order, covering every character (whitespace included).</summary>
    IEnumerable<string> Segment(string text);
}

/// <summary>
/// Chinese word segmentation with jieba.NET (accurate mode with HMM for unknown words), using the dictionary that ships
/// in the jieba.NET package: nothing is downloaded. The dictionary files are looked up in this order:
/// the folder given to <see cref="Create"/>; the <c>jieba/</c> folder of the application's output (this library copies
/// them there); jieba.NET's own setting (<c>ConfigManager.ConfigFileBaseDir</c>, by default <c>Resources/</c> of the
/// output); the jieba.NET package in the NuGet packages folder (<c>$NUGET_PACKAGES</c> or <c>~/.nuget/packages</c>).
/// </summary>
/// <remarks>jieba.NET loads its dictionary once per process, so the first folder used stays in effect.</remarks>
internal sealed class JiebaWordSegmenter : IWordSegmenter
{
    /// <summary>Folder of the application's output that holds the dictionary files.</summary>
    public const string OutputFolder = "jieba";

    /// <summary>The files the segmenter reads (jieba.NET's main dictionary and HMM tables).</summary>
    public static readonly IReadOnlyList<string> RequiredFiles = ["dict.txt", "prob_trans.json", "prob_emit.json"];

    private static readonly object InitLock = new();
    private static JiebaWordSegmenter shared;
    private static string loadedFrom;
    private readonly JiebaSegmenter segmenter;
    private readonly object cutLock = new();

    private JiebaWordSegmenter(JiebaSegmenter segmenter, string dictionaryFolder)
    {
        this.segmenter = segmenter;
        DictionaryFolder = dictionaryFolder;
    }

    /// <summary>The folder the dictionary was loaded from.</summary>
    public string DictionaryFolder { get; }

    /// <summary>The process-wide segmenter (created on first use; loading the dictionary takes about a second).</summary>
    public static JiebaWordSegmenter Shared
    {
        get
        {
            lock (InitLock) return shared ??= Create();
        }
    }

    /// <summary>Creates a segmenter, loading the dictionary from <paramref name="dictionaryFolder"/> or the first folder found (see the class summary).</summary>
    /// <exception cref="FileNotFoundException">No folder holds the dictionary files.</exception>
    /// <exception cref="InvalidOperationException">The dictionary was already loaded from another folder in this process.</exception>
    public static JiebaWordSegmenter Create(string dictionaryFolder = null)
    {
        lock (InitLock)
        {
            string folder;
            if (dictionaryFolder is null) folder = loadedFrom ?? LocateDictionary();
            else if (HasDictionary(dictionaryFolder)) folder = Path.GetFullPath(dictionaryFolder);
            else throw new FileNotFoundException($"'{dictionaryFolder}' does not hold jieba's dictionary files ({string.Join(", ", RequiredFiles)}).");
            if (loadedFrom is not null && loadedFrom != folder)
                throw new InvalidOperationException($"jieba's dictionary is already loaded from '{loadedFrom}'; it is loaded once per process.");
            ConfigManager.ConfigFileBaseDir = folder;
            var segmenter = new JiebaSegmenter();   // loads the dictionary on first use
            loadedFrom = folder;
            return new JiebaWordSegmenter(segmenter, folder);
        }
    }

    /// <summary>The first folder that holds the dictionary files (see the class summary).</summary>
    /// <exception cref="FileNotFoundException">None does.</exception>
    public static string LocateDictionary()
    {
        var tried = new List<string>();
        foreach (var candidate in Candidates())
        {
            if (string.IsNullOrEmpty(candidate)) continue;
            var full = Path.GetFullPath(candidate);
            if (HasDictionary(full)) return full;
            tried.Add(full);
        }
        throw new FileNotFoundException(
            $"jieba's dictionary ({string.Join(", ", RequiredFiles)}) was not found in {string.Join(", ", tried.Distinct())}. " +
            $"Copy the Resources folder of the jieba.NET package to '{Path.Combine(AppContext.BaseDirectory, OutputFolder)}'.");
    }

    private static IEnumerable<string> Candidates()
    {
        yield return Path.Combine(AppContext.BaseDirectory, OutputFolder);
        string configured = null;
        try { configured = ConfigManager.ConfigFileBaseDir; }
        catch (Exception e) when (e is not OutOfMemoryException) { }   // its default reads app settings, which may fail on some hosts
        yield return configured;
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(packages))
            packages = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var package = Path.Combine(packages, "jieba.net");
        if (Directory.Exists(package))
        {
            var versioned = Directory.EnumerateDirectories(package)
                .Select(d => (Dir: d, Version: Version.TryParse(Path.GetFileName(d), out var v) ? v : new Version(0, 0)))
                .OrderByDescending(x => x.Version);
            foreach (var (dir, _) in versioned) yield return Path.Combine(dir, "Resources");
        }
    }

    private static bool HasDictionary(string folder) => RequiredFiles.All(f => File.Exists(Path.Combine(folder, f)));

    /// <inheritdoc />
    public IEnumerable<string> Segment(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        lock (cutLock) return segmenter.Cut(text, cutAll: false, hmm: true).ToList();
    }
}
