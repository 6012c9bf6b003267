using System.Formats.Tar;
using System.IO.Compression;
using Ravioli.Staging.Droplets;
using Ravioli.Staging.Files;
using Ravioli.Staging.Tests.Support;
using Xunit;

namespace Ravioli.Staging.Tests;

public sealed class DropletArchiveTests
{
    [Fact]
    public async Task Round_trip_keeps_contents_modes_and_inner_symlinks()
    {
        using var source = new TempDirectory("droplet");
        using var target = new TempDirectory("extracted");
        source.Write("staging_info.json", "{}");
        source.Write("app/bin/server", "#!/bin/sh\necho hi\n", executable: true);
        source.Write("app/data/config.txt", "key=value");
        source.Write("app/" + new string('d', 120) + "/long-name.txt", "long paths need PAX headers");
        Directory.CreateDirectory(source.Combine("app/empty"));
        File.CreateSymbolicLink(source.Combine("app/current"), "data/config.txt");
        File.CreateSymbolicLink(source.Combine("app/data/up"), "../bin");
        var archive = source.Combine("..", Path.GetFileName(source.Path) + ".tgz");

        try
        {
            await DropletArchive.CreateAsync(source.Path, archive);
            await DropletArchive.ExtractAsync(archive, target.Path);
        }
        finally
        {
            File.Delete(archive);
        }

        Assert.Equal("#!/bin/sh\necho hi\n", await File.ReadAllTextAsync(target.Combine("app/bin/server")));
        Assert.True(UnixFiles.IsExecutable(target.Combine("app/bin/server")));
        Assert.False(UnixFiles.IsExecutable(target.Combine("app/data/config.txt")));
        Assert.Equal("long paths need PAX headers", await File.ReadAllTextAsync(target.Combine("app/" + new string('d', 120) + "/long-name.txt")));
        Assert.True(Directory.Exists(target.Combine("app/empty")));
        Assert.Equal("data/config.txt", new FileInfo(target.Combine("app/current")).LinkTarget);
        Assert.Equal("key=value", await File.ReadAllTextAsync(target.Combine("app/current")));
        Assert.Equal("../bin", new FileInfo(target.Combine("app/data/up")).LinkTarget);
        Assert.True(File.Exists(target.Combine("staging_info.json")));
    }

    public static TheoryData<string, Action<TarWriter>> UnsafeArchives => new()
    {
        { "'..'", w => AddFile(w, "../evil.txt") },
        { "'..'", w => AddFile(w, "app/../../evil.txt") },
        { "absolute path", w => AddFile(w, "/tmp/ravioli-evil.txt") },
        { "outside the archive's root", w => AddLink(w, "app/link", "../../../../etc") },
        { "outside the archive's root", w => AddLink(w, "app/passwd", "/etc/passwd") },
        // Lexically inside, but 'here' points at the root, so here/.. would be its parent.
        { "outside the archive's root", w => { AddLink(w, "here", "."); AddLink(w, "escape", "here/.."); } },
        { "goes through the symlink", w => { AddLink(w, "app/dir", "."); AddFile(w, "app/dir/x.txt"); } },
        { "absolute path", w => w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "app/h") { LinkName = "/etc/passwd" }) },
        { "not a file extracted before", w => { AddLink(w, "app/l", "x"); w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "app/h") { LinkName = "app/l" }); } },
    };

    [Theory]
    [MemberData(nameof(UnsafeArchives))]
    public async Task Unsafe_entries_are_rejected_and_nothing_lands_outside(string expected, Action<TarWriter> write)
    {
        using var work = new TempDirectory("crafted");
        var archive = work.Combine("crafted.tgz");
        await using (var file = File.Create(archive))
        await using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        await using (var writer = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            write(writer);
        }
        var destination = work.Combine("out", "droplet");

        var rejected = await Assert.ThrowsAsync<ArchiveRejectedException>(() => DropletArchive.ExtractAsync(archive, destination));

        Assert.Contains(expected, rejected.Message);
        Assert.False(File.Exists(work.Combine("out", "evil.txt")));
        Assert.False(File.Exists(work.Combine("evil.txt")));
        Assert.False(File.Exists("/tmp/ravioli-evil.txt"));
    }

    [Fact]
    public async Task Archives_over_the_size_cap_are_rejected()
    {
        using var work = new TempDirectory("big");
        work.Write("droplet/app/big.bin", new string('x', 10_000));
        await DropletArchive.CreateAsync(work.Combine("droplet"), work.Combine("d.tgz"));

        var rejected = await Assert.ThrowsAsync<ArchiveRejectedException>(() => DropletArchive.ExtractAsync(work.Combine("d.tgz"), work.Combine("out"), maxExtractedBytes: 5_000));

        Assert.Contains("unpacks to more than", rejected.Message);
    }

    [Fact]
    public async Task Devices_are_rejected()
    {
        using var work = new TempDirectory("dev");
        var archive = work.Combine("dev.tgz");
        await using (var file = File.Create(archive))
        await using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        await using (var writer = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "app/null") { DeviceMajor = 1, DeviceMinor = 3 });
        }

        await Assert.ThrowsAsync<ArchiveRejectedException>(() => DropletArchive.ExtractAsync(archive, work.Combine("out")));
    }

    private static void AddFile(TarWriter writer, string name)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("evil"u8.ToArray()) };
        writer.WriteEntry(entry);
    }

    private static void AddLink(TarWriter writer, string name, string target) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target });
}
