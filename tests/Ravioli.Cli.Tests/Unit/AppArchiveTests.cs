using System.IO.Compression;
using System.Text;
using Ravioli.Cli.Packaging;

namespace Ravioli.Cli.Tests.Unit;

public sealed class AppArchiveTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("rav-archive-").FullName;

    private string App => Path.Combine(_root, "app");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task CreateAsync_HonoursCfIgnoreAndAlwaysLeavesOutVersionControl()
    {
        Write("server.js", "require('http')");
        Write("manifest.yml", "applications: []");
        Write(".cfignore", "*.log\nnode_modules/\n/secret.txt\n!important.log\n");
        Write(".gitignore", "x");
        Write(".git/config", "[core]");
        Write(".svn/entries", "x");
        Write(".hg/store", "x");
        Write("app.log", "noise");
        Write("important.log", "keep");
        Write("node_modules/left-pad/index.js", "x");
        Write("secret.txt", "top");
        Write("lib/secret.txt", "not anchored, kept");
        Write("lib/.env.example", "A=1");
        Write("lib/sub/.DS_Store", "x");

        using var archive = await AppArchive.CreateAsync(App, default);
        var names = Entries(archive).Keys.Order(StringComparer.Ordinal).ToList();

        Assert.Equal([".gitignore", "important.log", "lib/", "lib/.env.example", "lib/secret.txt", "lib/sub/", "manifest.yml", "server.js"], names);
        Assert.Equal(6, archive.FileCount);
        Assert.True(archive.IsTemporary);
        Assert.Equal(new FileInfo(archive.ZipPath).Length, archive.Size);
    }

    [Fact]
    public async Task CreateAsync_KeepsTheExecutableBit()
    {
        Write("run.sh", "#!/bin/sh\necho hi\n");
        Write("README", "read me");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(App, "run.sh"), (UnixFileMode)0b111_101_101);
        }

        using var archive = await AppArchive.CreateAsync(App, default);
        var entries = Entries(archive);

        Assert.Equal(0x8000 | 0b111_101_101, entries["run.sh"].ExternalAttributes >>> 16);
        Assert.Equal(0, (entries["README"].ExternalAttributes >>> 16) & 0b001_001_001);
        Assert.Equal("#!/bin/sh\necho hi\n", Read(entries["run.sh"]));
    }

    [Fact]
    public async Task CreateAsync_KeepsSymlinksInsideTheAppAsLinks()
    {
        Write("lib/real.js", "module.exports = 1");
        Directory.CreateDirectory(Path.Combine(App, "bin"));
        File.CreateSymbolicLink(Path.Combine(App, "bin", "tool.js"), "../lib/real.js");
        File.CreateSymbolicLink(Path.Combine(App, "absolute.js"), Path.Combine(App, "lib", "real.js"));
        Directory.CreateSymbolicLink(Path.Combine(App, "library"), "lib");

        using var archive = await AppArchive.CreateAsync(App, default);
        var entries = Entries(archive);

        Assert.Equal(0xA000, (entries["bin/tool.js"].ExternalAttributes >>> 16) & 0xF000);
        Assert.Equal("../lib/real.js", Read(entries["bin/tool.js"]));
        Assert.Equal("lib/real.js", Read(entries["absolute.js"]));
        Assert.Equal("lib", Read(entries["library"]));
        Assert.DoesNotContain("library/real.js", entries.Keys);
        Assert.Equal(4, archive.FileCount);
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../../outside.txt")]
    public async Task CreateAsync_SymlinkLeavingTheApp_IsRefusedNamingIt(string target)
    {
        Write("index.js", "x");
        Directory.CreateDirectory(Path.Combine(App, "config"));
        File.CreateSymbolicLink(Path.Combine(App, "config", "passwd"), target);

        var error = await Assert.ThrowsAsync<CliException>(() => AppArchive.CreateAsync(App, default));

        Assert.StartsWith($"config/passwd is a symlink to {target}, which is outside the app directory", error.Message);
        Assert.Contains(".cfignore", error.Message);
    }

    [Fact]
    public async Task CreateAsync_LinkThroughAnIgnoredLinkOutside_IsRefused()
    {
        Write("index.js", "x");
        Write(".cfignore", "exit\n");
        Directory.CreateSymbolicLink(Path.Combine(App, "exit"), "/etc");
        File.CreateSymbolicLink(Path.Combine(App, "hop"), "exit");

        var error = await Assert.ThrowsAsync<CliException>(() => AppArchive.CreateAsync(App, default));

        Assert.StartsWith("hop is a symlink to exit, which is outside the app directory", error.Message);
    }

    [Fact]
    public async Task CreateAsync_IgnoredSymlinkOutside_IsNotLookedAt()
    {
        Write("index.js", "x");
        Write(".cfignore", "escape\n");
        File.CreateSymbolicLink(Path.Combine(App, "escape"), "/etc/passwd");

        using var archive = await AppArchive.CreateAsync(App, default);

        Assert.Equal(["index.js"], Entries(archive).Keys);
    }

    [Fact]
    public async Task CreateAsync_NothingLeft_SaysSo()
    {
        Write(".cfignore", "*\n");
        Write("a.txt", "x");

        var error = await Assert.ThrowsAsync<CliException>(() => AppArchive.CreateAsync(App, default));

        Assert.Contains("No files to push", error.Message);
    }

    [Fact]
    public async Task CreateAsync_MissingPath_SaysSo()
    {
        var error = await Assert.ThrowsAsync<CliException>(() => AppArchive.CreateAsync(Path.Combine(_root, "nope"), default));

        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public async Task CreateAsync_ZipOrJarFile_IsUploadedAsItIs()
    {
        var jar = Path.Combine(_root, "app.jar");
        using (var zip = ZipFile.Open(jar, ZipArchiveMode.Create))
        {
            zip.CreateEntry("META-INF/");
            zip.CreateEntry("META-INF/MANIFEST.MF");
            zip.CreateEntry("Main.class");
        }

        using var archive = await AppArchive.CreateAsync(jar, default);

        Assert.Equal(jar, archive.ZipPath);
        Assert.False(archive.IsTemporary);
        Assert.Equal(2, archive.FileCount);
    }

    [Fact]
    public async Task CreateAsync_FileThatIsNotAZip_IsRefused()
    {
        var file = Path.Combine(_root, "app.py");
        await File.WriteAllTextAsync(file, "print('hi')");

        var error = await Assert.ThrowsAsync<CliException>(() => AppArchive.CreateAsync(file, default));

        Assert.Contains("not a zip archive", error.Message);
    }

    [Fact]
    public async Task Dispose_DeletesTheTemporaryZipOnly()
    {
        Write("a.txt", "x");
        var archive = await AppArchive.CreateAsync(App, default);

        archive.Dispose();

        Assert.False(File.Exists(archive.ZipPath));
    }

    private void Write(string relative, string text)
    {
        var path = Path.Combine(App, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static Dictionary<string, ZipArchiveEntry> Entries(AppArchive archive)
    {
        // Read into memory so the zip file is not held open by the entries.
        var zip = new ZipArchive(new MemoryStream(File.ReadAllBytes(archive.ZipPath)), ZipArchiveMode.Read);
        return zip.Entries.ToDictionary(e => e.FullName);
    }

    private static string Read(ZipArchiveEntry entry)
    {
        using var reader = new StreamReader(entry.Open(), Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
