using System.IO.Compression;
using System.Text;
using Ravioli.Staging.Droplets;

namespace Ravioli.Staging.Files;

/// <summary>Walks a zip into a <see cref="SafeExtractor"/>: directories, files with their Unix modes, and symlinks (checked to stay inside).</summary>
internal static class ZipExtraction
{
    private const int SymlinkFileType = 0xA000;
    private const int FileTypeMask = 0xF000;
    private const int MaxSymlinkTargetLength = 4096;

    public static async Task ExtractAsync(string zipFile, string name, SafeExtractor extractor, CancellationToken cancellationToken) =>
        await ExtractAsync(zipFile, name, extractor, int.MaxValue, cancellationToken);

    /// <summary>As above, refusing an archive of more than <paramref name="maxEntries"/> entries before writing any.</summary>
    public static async Task ExtractAsync(string zipFile, string name, SafeExtractor extractor, int maxEntries, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(zipFile, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        var zip = await OpenAsync(file, e => $"{name} is not a valid zip file: {e.Message}", cancellationToken);
        await using (zip)
        {
            if (zip.Entries.Count > maxEntries)
            {
                throw new ArchiveRejectedException($"{name} was rejected: it has {zip.Entries.Count} entries; at most {maxEntries} are allowed.");
            }
            foreach (var entry in zip.Entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var relative = extractor.Normalize(entry.FullName);
                var unixMode = (entry.ExternalAttributes >> 16) & 0xFFFF;
                if (entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\'))
                {
                    extractor.CreateDirectory(relative, unixMode == 0 ? null : (UnixFileMode)(unixMode & 0x1FF));
                }
                else if ((unixMode & FileTypeMask) == SymlinkFileType)
                {
                    extractor.CreateSymlink(relative, await ReadSymlinkTargetAsync(entry, name, cancellationToken));
                }
                else
                {
                    try
                    {
                        await using var stream = await entry.OpenAsync(cancellationToken);
                        await extractor.WriteFileAsync(relative, stream, unixMode == 0 ? null : (UnixFileMode)(unixMode & 0x1FF), cancellationToken);
                    }
                    catch (InvalidDataException e)
                    {
                        throw Unreadable(name, entry, e);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Opens a zip and reads its central directory, which <see cref="ZipArchive"/> does lazily: a damaged directory
    /// (entry counts that disagree, offsets past the end) surfaces here as an <see cref="ArchiveRejectedException"/>
    /// with <paramref name="message"/>, not later as an <see cref="InvalidDataException"/> from <c>Entries</c>.
    /// </summary>
    public static async Task<ZipArchive> OpenAsync(Stream file, Func<InvalidDataException, string> message, CancellationToken cancellationToken)
    {
        ZipArchive? zip = null;
        try
        {
            zip = await ZipArchive.CreateAsync(file, ZipArchiveMode.Read, leaveOpen: true, entryNameEncoding: null, cancellationToken);
            _ = zip.Entries.Count;
            return zip;
        }
        catch (InvalidDataException e)
        {
            if (zip is not null)
            {
                await zip.DisposeAsync();
            }
            throw new ArchiveRejectedException(message(e), e);
        }
    }

    /// <summary>
    /// Checks that an entry can be read at all (its local header is where the directory says, its compression method
    /// is one .NET knows, it is not encrypted) without decompressing it.
    /// </summary>
    public static async Task CheckReadableAsync(ZipArchiveEntry entry, string name, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await entry.OpenAsync(cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw Unreadable(name, entry, e);
        }
    }

    public static bool IsSymlink(ZipArchiveEntry entry) => (((entry.ExternalAttributes >> 16) & 0xFFFF) & FileTypeMask) == SymlinkFileType;

    public static async Task<string> ReadSymlinkTargetAsync(ZipArchiveEntry entry, string name, CancellationToken cancellationToken)
    {
        if (entry.Length > MaxSymlinkTargetLength)
        {
            throw new ArchiveRejectedException($"{name} was rejected: symlink '{entry.FullName}' has a target longer than {MaxSymlinkTargetLength} bytes.");
        }
        try
        {
            await using var stream = await entry.OpenAsync(cancellationToken);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return await reader.ReadToEndAsync(cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw Unreadable(name, entry, e);
        }
    }

    // A corrupt or exotically compressed entry (an unknown method, a broken deflate stream) is the archive's fault, not the platform's.
    private static ArchiveRejectedException Unreadable(string name, ZipArchiveEntry entry, InvalidDataException e) =>
        new($"{name} was rejected: entry '{entry.FullName}' cannot be read ({e.Message}). Make the zip again with ordinary (deflate or stored) compression.", e);
}
