using System.IO.Compression;
using System.Text;
using Ravioli.Staging.Buildpacks;
using Ravioli.Staging.Droplets;
using Ravioli.Staging.Files;
using Ravioli.Staging.Tests.Support;
using Xunit;

namespace Ravioli.Staging.Tests;

public sealed class BuildpackPackageTests
{
    private const int RegularFile = 0x8000;
    private const int Symlink = 0xA000;

    [Fact]
    public async Task A_github_style_zip_is_unwrapped_and_its_scripts_made_executable()
    {
        using var work = new TempDirectory("zip");
        var zip = CreateZip(work.Combine("bp.zip"), z =>
        {
            Add(z, "my-buildpack-main/", "", 0x41ED);
            Add(z, "my-buildpack-main/bin/detect", "#!/bin/sh\nexit 0\n", mode: 0); // made on Windows: no mode
            Add(z, "my-buildpack-main/bin/compile", "#!/bin/sh\nexit 0\n", mode: RegularFile | 0x1A4);
            Add(z, "my-buildpack-main/lib/helper.sh", "echo helper\n", mode: RegularFile | 0x1A4);
            Add(z, "my-buildpack-main/lib/current", "helper.sh", mode: Symlink | 0x1FF);
        });

        var installed = await BuildpackPackage.InstallAsync(zip, work.Combine("buildpacks", "my_bp"));

        Assert.Equal(work.Combine("buildpacks", "my_bp"), installed);
        Assert.True(UnixFiles.IsExecutable(Path.Combine(installed, "bin", "detect")));
        Assert.True(UnixFiles.IsExecutable(Path.Combine(installed, "bin", "compile")));
        Assert.False(UnixFiles.IsExecutable(Path.Combine(installed, "lib", "helper.sh")));
        Assert.Equal("helper.sh", new FileInfo(Path.Combine(installed, "lib", "current")).LinkTarget);
        Assert.Single(Directory.GetDirectories(work.Combine("buildpacks")));
        var registry = BuildpackRegistry.Default.WithBuildpack("my_bp", installed, 1);
        Assert.Equal("my_bp", registry.Buildpacks[0].Name);
    }

    [Fact]
    public async Task Installing_again_replaces_the_previous_version()
    {
        using var work = new TempDirectory("zip");
        var v1 = CreateZip(work.Combine("v1.zip"), z => { Add(z, "bin/detect", "v1"); Add(z, "old.txt", "old"); });
        var v2 = CreateZip(work.Combine("v2.zip"), z => Add(z, "bin/detect", "v2"));
        var target = work.Combine("buildpacks", "bp");

        await BuildpackPackage.InstallAsync(v1, target);
        await BuildpackPackage.InstallAsync(v2, target);

        Assert.Equal("v2", await File.ReadAllTextAsync(Path.Combine(target, "bin", "detect")));
        Assert.False(File.Exists(Path.Combine(target, "old.txt")));
        Assert.Single(Directory.GetFileSystemEntries(work.Combine("buildpacks")));
    }

    [Theory]
    [InlineData("../evil.sh", "", "'..'")]
    [InlineData("bin/../../evil.sh", "", "'..'")]
    [InlineData("/etc/evil.sh", "", "absolute path")]
    [InlineData("bin/escape", "../../../etc/passwd", "outside the archive's root")]
    [InlineData("bin/absolute", "/etc/passwd", "outside the archive's root")]
    public async Task Unsafe_zips_are_rejected(string entry, string symlinkTarget, string expected)
    {
        using var work = new TempDirectory("zip");
        var zip = CreateZip(work.Combine("bad.zip"), z =>
        {
            Add(z, "bin/detect", "#!/bin/sh\n");
            if (symlinkTarget.Length > 0)
            {
                Add(z, entry, symlinkTarget, Symlink | 0x1FF);
            }
            else
            {
                Add(z, entry, "evil");
            }
        });

        var rejected = await Assert.ThrowsAsync<ArchiveRejectedException>(() => BuildpackPackage.InstallAsync(zip, work.Combine("buildpacks", "bad")));

        Assert.Contains(expected, rejected.Message);
        Assert.False(Directory.Exists(work.Combine("buildpacks", "bad")));
        Assert.False(File.Exists(work.Combine("buildpacks", "evil.sh")));
        Assert.Empty(Directory.GetFileSystemEntries(work.Combine("buildpacks")));
    }

    [Fact]
    public async Task A_zip_without_bin_detect_is_not_a_buildpack()
    {
        using var work = new TempDirectory("zip");
        var zip = CreateZip(work.Combine("nope.zip"), z => Add(z, "README.md", "not a buildpack"));

        var rejected = await Assert.ThrowsAsync<ArchiveRejectedException>(() => BuildpackPackage.InstallAsync(zip, work.Combine("bp")));

        Assert.Contains("no bin/detect", rejected.Message);
    }

    [Fact]
    public async Task A_zip_unpacking_past_the_size_cap_is_rejected()
    {
        using var work = new TempDirectory("zip");
        var zip = CreateZip(work.Combine("bomb.zip"), z => { Add(z, "bin/detect", "x"); Add(z, "big.bin", new string('0', 100_000)); });

        var rejected = await Assert.ThrowsAsync<ArchiveRejectedException>(() => BuildpackPackage.InstallAsync(zip, work.Combine("bp"), maxExtractedBytes: 10_000));

        Assert.Contains("unpacks to more than", rejected.Message);
    }

    [Fact]
    public async Task A_file_that_is_not_a_zip_is_rejected()
    {
        using var work = new TempDirectory("zip");
        var path = work.Write("fake.zip", "this is not a zip");

        await Assert.ThrowsAsync<ArchiveRejectedException>(() => BuildpackPackage.InstallAsync(path, work.Combine("bp")));
    }

    private static string CreateZip(string path, Action<ZipArchive> fill)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        fill(zip);
        return path;
    }

    private static void Add(ZipArchive zip, string name, string content, int mode = RegularFile | 0x1ED)
    {
        var entry = zip.CreateEntry(name);
        entry.ExternalAttributes = mode << 16;
        using var stream = entry.Open();
        stream.Write(Encoding.UTF8.GetBytes(content));
    }
}
