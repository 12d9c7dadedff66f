using System.Reflection;

namespace Microsoft.ML.PromptLearning.Tests.Docs;

/// <summary>
/// Runs the C# blocks of README.md and docs/*.md (compiled into this assembly by Docs/DocSnippets.targets) in a folder
/// that holds what they name: <c>data/tnews</c> (the small sample of examples/TnewsFewShot), <c>data/divorce</c> and
/// <c>data/events</c> (a few multi-label and hierarchical lines written here) and <c>ernie-3.0-base-zh</c> (a copy of the
/// bundled ChineseMini model standing in for ERNIE 3.0). Training steps are cut to a few by the generator.
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
            WriteFolder(Path.Combine(dir, "data", "divorce"), ["DV1==婚后有子女", "DV4==支付抚养费", "DV9==准予离婚"],
                ["婚生子由原告抚养，被告每月支付抚养费八百元。\tDV1,DV4", "准予原告与被告离婚。\tDV9", "双方均认可房屋价值六万元。\t", "婚后育有一女。\tDV1"]);
            WriteFolder(Path.Combine(dir, "data", "events"), ["人生", "人生##结婚", "竞赛行为", "竞赛行为##夺冠"],
                ["两人昨日在海边举行婚礼\t人生,人生##结婚", "主队加时赛夺得冠军\t竞赛行为,竞赛行为##夺冠", "老将宣布退出国家队\t竞赛行为", "明星夫妇结婚十周年\t人生,人生##结婚"]);
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

    /// <summary>A PaddleNLP-layout folder whose train, dev and test splits all hold <paramref name="lines"/>.</summary>
    private static void WriteFolder(string dir, string[] labels, string[] lines)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllLines(Path.Combine(dir, "label.txt"), labels);
        foreach (var split in new[] { "train.txt", "dev.txt", "test.txt" }) File.WriteAllLines(Path.Combine(dir, split), lines);
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }
}
