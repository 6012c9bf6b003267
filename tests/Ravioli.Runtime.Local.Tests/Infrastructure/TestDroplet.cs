using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Ravioli.Runtime.Local.Tests.Infrastructure;

/// <summary>Builds small droplets the way the stager lays them out: app/ and staging_info.json at the root of a .tgz.</summary>
public static class TestDroplet
{
    /// <summary>A droplet holding the test apps (server.py, oom.py, forkbomb.py) under app/.</summary>
    public static string Create(string directory, string? startCommand = "python3 server.py", IReadOnlyDictionary<string, string>? extraFiles = null)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"droplet-{Guid.NewGuid():N}.tgz");
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
        AddDirectory(tar, "app/");
        foreach (var app in new[] { "server.py", "oom.py", "forkbomb.py" })
        {
            AddFile(tar, "app/" + app, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Apps", app)));
        }

        foreach (var (name, content) in extraFiles ?? new Dictionary<string, string>())
        {
            AddFile(tar, "app/" + name, content);
        }

        AddFile(tar, "staging_info.json", startCommand is null ? "{}" : $$"""{"detected_buildpack":"python","start_command":"{{startCommand}}"}""");
        return path;
    }

    private static void AddDirectory(TarWriter tar, string name) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)0b111_101_101 });

    private static void AddFile(TarWriter tar, string name, string content)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = (UnixFileMode)0b110_100_100,
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
        };
        tar.WriteEntry(entry);
    }
}
