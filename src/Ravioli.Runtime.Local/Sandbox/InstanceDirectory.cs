using System.Formats.Tar;
using System.IO.Compression;
using System.IO.Enumeration;
using System.Text.Json;
using Ravioli.Runtime.Local.Processes;

namespace Ravioli.Runtime.Local.Sandbox;

/// <summary>
/// One instance's directory on the host: app/ (the run's own writable copy of the droplet, bound at /app),
/// logs/, and the wrapper's files. Each run starts from a fresh copy, like a fresh container in Cloud Foundry,
/// so a crash caused by a full disk or corrupted files does not follow the instance into its restart.
/// </summary>
internal static class InstanceDirectory
{
    private static readonly EnumerationOptions Walk = new()
    {
        RecurseSubdirectories = true,
        IgnoreInaccessible = true,
        // Symlinks are the app's to choose: never follow one out of the tree (as root) while chowning or measuring.
        AttributesToSkip = FileAttributes.ReparsePoint,
    };

    /// <summary>Replaces app/ with the droplet's app/ and empties logs/; returns staging_info.json's start_command, if any.</summary>
    public static async Task<string?> PrepareRunAsync(string instanceDir, string dropletPath, SandboxSetup setup, CancellationToken cancellationToken)
    {
        if (!File.Exists(dropletPath))
        {
            throw new FileNotFoundException($"droplet {dropletPath} not found");
        }

        Directory.CreateDirectory(instanceDir);
        // Traversable (not readable) by the sandbox uid, which has to reach app/ to bind it.
        File.SetUnixFileMode(instanceDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        foreach (var stale in new[] { LaunchFiles.ExitCodeName, LaunchFiles.ExitCodeName + ".tmp", LaunchFiles.SetupErrorName, LaunchFiles.WrapperPidName, "wrapper.log" })
        {
            File.Delete(Path.Combine(instanceDir, stale));
        }

        var app = Path.Combine(instanceDir, "app");
        var extract = Path.Combine(instanceDir, "extract.tmp");
        DeleteTree(app);
        DeleteTree(extract);
        Directory.CreateDirectory(extract);
        string? startCommand = null;
        try
        {
            await using (var file = File.OpenRead(dropletPath))
            await using (var gzip = new GZipStream(file, CompressionMode.Decompress))
            {
                // TarFile refuses entries and link targets that would land outside the destination.
                await TarFile.ExtractToDirectoryAsync(gzip, extract, overwriteFiles: true, cancellationToken);
            }

            var extractedApp = Path.Combine(extract, "app");
            if (!Directory.Exists(extractedApp))
            {
                throw new InvalidDataException($"droplet {dropletPath} has no app/ directory at its root");
            }

            startCommand = ReadStartCommand(Path.Combine(extract, "staging_info.json"));
            Directory.Move(extractedApp, app);
        }
        finally
        {
            DeleteTree(extract);
        }

        if (setup.ChownAppDirectory)
        {
            Native.LChown(app, setup.Uid, setup.Gid);
            // Only the app's uid may enter: other local users must not read an app's code or files.
            File.SetUnixFileMode(app, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            foreach (var entry in Directory.EnumerateFileSystemEntries(app, "*", Walk))
            {
                Native.LChown(entry, setup.Uid, setup.Gid);
            }
        }

        var logs = Path.Combine(instanceDir, "logs");
        DeleteTree(logs);
        Directory.CreateDirectory(logs);
        File.SetUnixFileMode(logs, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return startCommand;
    }

    /// <summary>Bytes of the files under <paramref name="directory"/> (apparent size; a sparse file counts fully, erring on the safe side).</summary>
    public static long MeasureBytes(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        try
        {
            var sizes = new FileSystemEnumerable<long>(directory, (ref FileSystemEntry entry) => entry.IsDirectory ? 0 : entry.Length, Walk);
            return sizes.Sum();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The app deleted a directory under our feet; the next measurement counts again.
            return 0;
        }
    }

    public static void DeleteTree(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    private static string? ReadStartCommand(string stagingInfo)
    {
        if (!File.Exists(stagingInfo))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(stagingInfo));
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("start_command", out var command)
                && command.ValueKind == JsonValueKind.String
                ? command.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
