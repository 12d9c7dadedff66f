using System.Runtime.Versioning;

namespace Microsoft.ML.PromptLearning.Tests.IO;

public class AtomicFileTests
{
    [Fact]
    public void WriterThatThrowsMidwayLeavesThePreviousContent()
    {
        using var dir = new TempDirectory();
        var path = dir.File("data.bin");
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100_000]);
            throw new InvalidOperationException("boom");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void TargetThatCannotBeReplacedLeavesNoTemporaryFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("occupied");
        Directory.CreateDirectory(path);   // the final rename cannot replace a directory
        Assert.ThrowsAny<IOException>(() => AtomicFile.WriteAllBytes(path, new byte[] { 1, 2, 3 }));
        Assert.True(Directory.Exists(path));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [EnforcedPermissionsFact]
    [UnsupportedOSPlatform("windows")]
    public void WriteIntoReadOnlyDirectoryFailsAndLeavesThePreviousFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("data.txt");
        AtomicFile.WriteAllText(path, "old");
        File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            Assert.Throws<UnauthorizedAccessException>(() => AtomicFile.WriteAllText(path, "new"));
            Assert.Equal("old", File.ReadAllText(path));
            Assert.Equal(new[] { path }, Directory.GetFiles(dir.Path));
        }
        finally { File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); }
    }

    [Fact]
    public void SuccessfulWriteReplacesContentAndCleansUp()
    {
        using var dir = new TempDirectory();
        var path = dir.File("sub/data.txt");
        AtomicFile.WriteAllText(path, "一");
        AtomicFile.WriteAllText(path, "二");
        Assert.Equal("二", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }
}
