using Ravioli.Cli.Packaging;

namespace Ravioli.Cli.Tests.Unit;

public sealed class CfIgnoreTests
{
    public static TheoryData<string, string, bool, bool> Cases { get; } = new()
    {
        // pattern(s), path, is a directory, excluded
        { "*.log", "app.log", false, true },
        { "*.log", "logs/deep/app.log", false, true },
        { "*.log", "app.log.txt", false, false },
        { "*.log", "app.LOG", false, false },
        { "tmp", "tmp", true, true },
        { "tmp", "src/tmp", false, true },
        { "tmp", "src/tmp/file.txt", false, true },
        { "tmp", "tmpfile", false, false },
        { "/tmp", "tmp", true, true },
        { "/tmp", "src/tmp", true, false },
        { "build/", "build", true, true },
        { "build/", "build", false, false },
        { "build/", "src/build/out.js", false, true },
        { "docs/*.md", "docs/a.md", false, true },
        { "docs/*.md", "docs/deep/a.md", false, false },
        { "docs/*.md", "other/docs/a.md", false, false },
        { "**/cache", "cache", true, true },
        { "**/cache", "a/b/cache", true, true },
        { "**/cache/*.bin", "x/cache/y.bin", false, true },
        { "logs/**", "logs/a/b.txt", false, true },
        { "logs/**", "logs", true, false },
        { "a/**/b", "a/b", false, true },
        { "a/**/b", "a/x/y/b", false, true },
        { "a/**/b", "c/a/b", false, false },
        { "file?.txt", "file1.txt", false, true },
        { "file?.txt", "file10.txt", false, false },
        { "file?.txt", "dir/file/.txt", false, false },
        { "[abc].txt", "b.txt", false, true },
        { "[abc].txt", "d.txt", false, false },
        { "[!abc].txt", "d.txt", false, true },
        { "[a-c]*.js", "bundle.js", false, true },
        { "# comment", "# comment", false, false },
        { "\\#hash", "#hash", false, true },
        { "\\!bang", "!bang", false, true },
        { "trailing   ", "trailing", false, true },
        { "*.log\n!keep.log", "keep.log", false, false },
        { "*.log\n!keep.log", "other.log", false, true },
        { "!keep.log\n*.log", "keep.log", false, true },
        { "secrets/\n!secrets/public.txt", "secrets/public.txt", false, true },
        { "node_modules\n\n# deps\n", "node_modules/x/index.js", false, true },
        { "*", "anything/at/all", false, true },
        { "", "file", false, false },
        { "/", "file", false, false },
        { "a[", "a[", false, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void IsExcluded_FollowsGitignoreRules(string patterns, string path, bool isDirectory, bool excluded)
        => Assert.Equal(excluded, CfIgnore.Parse(patterns).IsExcluded(path, isDirectory));

    [Fact]
    public void Parse_WindowsLineEndings_Work()
        => Assert.True(CfIgnore.Parse("a.txt\r\nb.txt\r\n").IsExcluded("b.txt", isDirectory: false));

    [Fact]
    public void Matching_HostilePattern_StaysFast()
    {
        var ignore = CfIgnore.Parse(string.Concat(Enumerable.Repeat("*a", 50)) + "b");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var excluded = ignore.IsExcluded(new string('a', 5000), isDirectory: false);

        Assert.False(excluded);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }
}
