using System.Reflection;

namespace Microsoft.ML.PromptLearning.Tests.Docs;

/// <summary>
/// Runs the C# blocks of README.md and docs/*.md (compiled into this assembly by Docs/DocSnippets.targets) in a folder
/// that holds what they name: <c>data/tnews</c> (the small sample of examples/TnewsFewShot) and <c>ernie-3.0-base-zh</c>
/// (a copy of the bundled ChineseMini model standing in for ERNIE 3.0). Training steps are cut to a few by the generator.
/// </summary>
public class DocSnippetsTests
{
    private const string SnippetNamespace = "Microsoft.ML.PromptLearning.Tests.Docs.Snippets";

    public static TheoryData<string, int> Programs()
    {
        var data = new TheoryData<string, int>();
        foreach (var (file, line, _) in All()) data.Add(file, line);
        return data;
    }

    [Fact]
    public void TheReadmeHasCodeThatIsCompiledHere() =>
        Assert.Contains(All(), p => p.File == "README.md");

    [Theory]
    [MemberData(nameof(Programs))]
    public void RunsOnASmallDataFolderWithTheBundledModel(string file, int line)
    {
        var run = All().Single(p => p.File == file && p.Line == line).Run;
        var dir = TestPaths.NewTempDir();
        var previous = Environment.CurrentDirectory;
        try
        {
            Copy(Path.Combine(TestPaths.RepoRoot, "examples", "TnewsFewShot", "data"), Path.Combine(dir, "data", "tnews"));
            Copy(BundledModel.Resolve(null), Path.Combine(dir, "ernie-3.0-base-zh"));
            Environment.CurrentDirectory = dir;
            run();
        }
        finally
        {
            Environment.CurrentDirectory = previous;
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static IEnumerable<(string File, int Line, Action Run)> All() =>
        typeof(DocSnippetsTests).Assembly.GetTypes()
            .Where(t => t.Namespace == SnippetNamespace && t.GetField("Programs", BindingFlags.Public | BindingFlags.Static) is not null)
            .SelectMany(t => ((ValueTuple<int, Action>[])t.GetField("Programs").GetValue(null))
                .Select(p => ((string)t.GetField("File").GetValue(null), p.Item1, p.Item2)));

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }
}
