using System.Formats.Tar;
using System.IO.Compression;
using Ravioli.Staging.Files;

namespace Ravioli.Staging.Droplets;

/// <summary>Packs a droplet directory into a .tgz and unpacks one safely, keeping modes and in-droplet symlinks.</summary>
public static class DropletArchive
{
    /// <summary>The default cap on the unpacked size of a droplet: 4 GiB.</summary>
    public const long DefaultMaxExtractedBytes = 4L * 1024 * 1024 * 1024;

    /// <summary>Writes <paramref name="dropletDirectory"/> to <paramref name="archivePath"/> (replaced atomically).</summary>
    public static async Task CreateAsync(string dropletDirectory, string archivePath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dropletDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(archivePath);
        var root = new DirectoryInfo(Path.GetFullPath(dropletDirectory));
        if (!root.Exists)
        {
            throw new DirectoryNotFoundException($"Droplet directory {root.FullName} does not exist.");
        }
        var fullArchivePath = Path.GetFullPath(archivePath);
        Directory.CreateDirectory(Path.GetDirectoryName(fullArchivePath)!);
        var partial = fullArchivePath + ".partial";
        try
        {
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            await using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
            await using (var writer = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
            {
                await WriteDirectoryAsync(writer, root, "", fullArchivePath, partial, cancellationToken);
            }
            File.Move(partial, fullArchivePath, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    /// <summary>
    /// Unpacks <paramref name="archivePath"/> into <paramref name="destinationDirectory"/>. Rejects, with an
    /// <see cref="ArchiveRejectedException"/>, entries with absolute paths or <c>..</c>, symlinks leading
    /// out of the destination, devices, and archives unpacking to more than <paramref name="maxExtractedBytes"/>.
    /// </summary>
    public static async Task ExtractAsync(string archivePath, string destinationDirectory, long maxExtractedBytes = DefaultMaxExtractedBytes, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(archivePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(destinationDirectory);
        var extractor = new SafeExtractor(destinationDirectory, $"Droplet archive {Path.GetFileName(archivePath)}", maxExtractedBytes);
        await using var file = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        await using var reader = new TarReader(gzip);
        try
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                await ExtractEntryAsync(extractor, entry, cancellationToken);
            }
        }
        catch (FormatException e)
        {
            throw new ArchiveRejectedException($"Droplet archive {Path.GetFileName(archivePath)} is not a valid .tgz: {e.Message}", e);
        }
        extractor.Complete();
    }

    private static async Task ExtractEntryAsync(SafeExtractor extractor, TarEntry entry, CancellationToken cancellationToken)
    {
        switch (entry.EntryType)
        {
            case TarEntryType.GlobalExtendedAttributes:
                return;
            case TarEntryType.Directory:
                extractor.CreateDirectory(extractor.Normalize(entry.Name), entry.Mode);
                return;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                await extractor.WriteFileAsync(extractor.Normalize(entry.Name), entry.DataStream, entry.Mode, cancellationToken);
                return;
            case TarEntryType.SymbolicLink:
                extractor.CreateSymlink(extractor.Normalize(entry.Name), entry.LinkName);
                return;
            case TarEntryType.HardLink:
                extractor.CreateHardLink(extractor.Normalize(entry.Name), entry.LinkName);
                return;
            default:
                throw new ArchiveRejectedException($"Droplet archive entry '{entry.Name}' is a {entry.EntryType}; droplets hold only files, directories and links.");
        }
    }

    private static async Task WriteDirectoryAsync(TarWriter writer, DirectoryInfo directory, string relative, string archivePath, string partialPath, CancellationToken cancellationToken)
    {
        var entries = directory.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 })
            .OrderBy(e => e.Name, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entry.FullName == archivePath || entry.FullName == partialPath)
            {
                continue;
            }
            var name = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
            if (entry.LinkTarget is not null || entry is FileInfo)
            {
                await writer.WriteEntryAsync(entry.FullName, name, cancellationToken);
            }
            else if (entry is DirectoryInfo subdirectory)
            {
                await writer.WriteEntryAsync(entry.FullName, name, cancellationToken);
                await WriteDirectoryAsync(writer, subdirectory, name, archivePath, partialPath, cancellationToken);
            }
        }
    }
}
