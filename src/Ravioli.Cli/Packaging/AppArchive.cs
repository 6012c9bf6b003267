using System.IO.Compression;
using System.Text;

namespace Ravioli.Cli.Packaging;

/// <summary>What goes into the zip for one path of the app.</summary>
internal enum ArchiveEntryKind
{
    Directory,
    File,
    Symlink,
}

/// <summary>One path of the app as it goes into the zip; <c>LinkTarget</c> is relative, for symlinks.</summary>
internal sealed record ArchiveEntry(string Name, string FullPath, ArchiveEntryKind Kind, string? LinkTarget);

/// <summary>
/// An app's files as the zip <c>rav push</c> uploads: a temporary file (deleted on dispose), or the
/// user's own .zip/.jar when the app path is one. Built from a directory, it honours <c>.cfignore</c>,
/// leaves out version-control metadata, and keeps what the platform needs to run the files as they are:
/// Unix permissions (the executable bit) and symlinks that stay inside the app.
/// </summary>
internal sealed class AppArchive : IDisposable
{
    /// <summary>Never pushed, wherever they are: version-control data, Finder litter, and the ignore file itself (as cf does).</summary>
    public static readonly IReadOnlySet<string> AlwaysExcluded = new HashSet<string>(StringComparer.Ordinal)
    {
        ".git", ".svn", ".hg", "_darcs", ".DS_Store", ".cfignore",
    };

    // The file type bits of a Unix mode, as zip's "external attributes" carry them (Info-ZIP's convention).
    private const int TypeDirectory = 0x4000;
    private const int TypeFile = 0x8000;
    private const int TypeSymlink = 0xA000;
    private const int DefaultDirectoryMode = 0x1ED; // 0755
    private const int DefaultFileMode = 0x1A4; // 0644
    private const int LinkMode = 0x1FF; // 0777

    private static readonly DateTimeOffset ZipEpoch = new(1980, 1, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset ZipEnd = new(2107, 12, 30, 0, 0, 0, TimeSpan.Zero);

    private AppArchive(string zipPath, int fileCount, long size, bool temporary)
    {
        ZipPath = zipPath;
        FileCount = fileCount;
        Size = size;
        IsTemporary = temporary;
    }

    public string ZipPath { get; }

    /// <summary>Files and symlinks in the archive (directories not counted).</summary>
    public int FileCount { get; }

    /// <summary>Bytes of the zip itself: what is uploaded.</summary>
    public long Size { get; }

    public bool IsTemporary { get; }

    /// <summary>Zips a directory into a temporary file, or takes a .zip/.jar file as it is.</summary>
    public static async Task<AppArchive> CreateAsync(string source, CancellationToken cancellationToken)
    {
        if (File.Exists(source))
        {
            return FromZip(source);
        }

        if (!Directory.Exists(source))
        {
            throw new CliException($"App path {source} does not exist. Give the app's directory with -p, or set 'path:' in the manifest.");
        }

        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(source));
        var ignore = await CfIgnore.LoadAsync(Path.Combine(root, ".cfignore"), cancellationToken);
        var entries = Collect(root, ignore);
        var files = entries.Count(e => e.Kind != ArchiveEntryKind.Directory);
        if (files == 0)
        {
            throw new CliException($"No files to push in {root}: it is empty, or .cfignore leaves nothing out of it.");
        }

        var zip = Path.Combine(Path.GetTempPath(), $"rav-push-{Guid.NewGuid():N}.zip");
        try
        {
            await WriteAsync(zip, entries, cancellationToken);
        }
        catch
        {
            File.Delete(zip);
            throw;
        }

        return new AppArchive(zip, files, new FileInfo(zip).Length, temporary: true);
    }

    /// <summary>Everything under <paramref name="root"/> that goes into the zip, in a stable order.</summary>
    public static IReadOnlyList<ArchiveEntry> Collect(string root, CfIgnore ignore)
    {
        root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));

        // The root may itself sit behind a symlink (/tmp on macOS); links into it by either name are inside.
        var realRoot = new DirectoryInfo(root).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? root;
        var entries = new List<ArchiveEntry>();
        Walk(root, [root, Path.TrimEndingDirectorySeparator(realRoot)], root, string.Empty, ignore, entries);
        return entries;
    }

    public void Dispose()
    {
        if (IsTemporary)
        {
            File.Delete(ZipPath);
        }
    }

    private static AppArchive FromZip(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var files = zip.Entries.Count(e => !e.FullName.EndsWith('/'));
            return new AppArchive(path, files, new FileInfo(path).Length, temporary: false);
        }
        catch (InvalidDataException e)
        {
            throw new CliException($"{path} is a file but not a zip archive ({e.Message}). Push a directory, or a .zip, .jar or .war file.", e);
        }
    }

    private static void Walk(string root, string[] roots, string directory, string relative, CfIgnore ignore, List<ArchiveEntry> entries)
    {
        // Dot files count as hidden on Unix and would be skipped by default; apps need theirs (.npmrc, .profile).
        var options = new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = false, IgnoreInaccessible = false };
        var children = new DirectoryInfo(directory).EnumerateFileSystemInfos("*", options).OrderBy(i => i.Name, StringComparer.Ordinal);
        foreach (var info in children)
        {
            var name = relative.Length == 0 ? info.Name : $"{relative}/{info.Name}";
            var isLink = info.LinkTarget is not null;
            var isDirectory = !isLink && info is DirectoryInfo;

            // Parents are checked on the way down: what is under an excluded directory is never reached.
            if (AlwaysExcluded.Contains(info.Name) || ignore.Matches(name, isDirectory))
            {
                continue;
            }

            if (isLink)
            {
                entries.Add(new ArchiveEntry(name, info.FullName, ArchiveEntryKind.Symlink, LinkTargetInside(root, roots, info, name)));
            }
            else if (isDirectory)
            {
                entries.Add(new ArchiveEntry(name, info.FullName, ArchiveEntryKind.Directory, null));
                Walk(root, roots, info.FullName, name, ignore, entries);
            }
            else
            {
                entries.Add(new ArchiveEntry(name, info.FullName, ArchiveEntryKind.File, null));
            }
        }
    }

    /// <summary>
    /// The link's target relative to the link, when it stays inside the app. A link that leads out of it
    /// (directly, or through other links) would reach files the user never meant to push, and the
    /// platform refuses such zips anyway; say which link it is and what to do.
    /// </summary>
    private static string LinkTargetInside(string root, string[] roots, FileSystemInfo link, string name)
    {
        var target = link.LinkTarget!;
        var folder = Path.GetDirectoryName(link.FullName)!;
        var lexical = Path.GetFullPath(Path.Combine(folder, target));
        string? final;
        try
        {
            final = link.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        }
        catch (IOException e)
        {
            throw new CliException($"{name} is a symlink that cannot be followed ({e.Message}). Fix it, or list it in .cfignore.", e);
        }

        if (!IsInside(roots, lexical) || (final is not null && !IsInside(roots, Path.GetFullPath(final))))
        {
            throw new CliException(
                $"{name} is a symlink to {target}, which is outside the app directory {root}. The platform refuses links that leave the app: copy what it points to into the app, or list {name} in .cfignore.");
        }

        // Stored relative to the link, so it means the same wherever the platform unpacks the app.
        var viaRoot = IsInside([roots[0]], lexical)
            ? lexical
            : Path.Combine(roots[0], Path.GetRelativePath(roots.First(r => IsInside([r], lexical)), lexical));
        return Path.GetRelativePath(folder, viaRoot).Replace(Path.DirectorySeparatorChar, '/');
    }

    private static bool IsInside(string[] roots, string path)
        => roots.Any(root => path == root || path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal));

    private static async Task WriteAsync(string zip, IReadOnlyList<ArchiveEntry> entries, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(zip, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true);
        using var archive = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var entry in entries)
        {
            switch (entry.Kind)
            {
                case ArchiveEntryKind.Directory:
                    var directory = archive.CreateEntry(entry.Name + "/", CompressionLevel.NoCompression);
                    directory.ExternalAttributes = Attributes(TypeDirectory, ModeOf(entry.FullPath, DefaultDirectoryMode));
                    directory.LastWriteTime = Clamp(Directory.GetLastWriteTimeUtc(entry.FullPath));
                    break;
                case ArchiveEntryKind.Symlink:
                    var link = archive.CreateEntry(entry.Name, CompressionLevel.NoCompression);
                    link.ExternalAttributes = Attributes(TypeSymlink, LinkMode);
                    await using (var stream = link.Open())
                    {
                        await stream.WriteAsync(Encoding.UTF8.GetBytes(entry.LinkTarget!), cancellationToken);
                    }

                    break;
                default:
                    var item = archive.CreateEntry(entry.Name, CompressionLevel.Optimal);
                    item.ExternalAttributes = Attributes(TypeFile, ModeOf(entry.FullPath, DefaultFileMode));
                    item.LastWriteTime = Clamp(File.GetLastWriteTimeUtc(entry.FullPath));
                    try
                    {
                        await using var source = new FileStream(entry.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
                        await using var target = item.Open();
                        await source.CopyToAsync(target, cancellationToken);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        throw new CliException($"Cannot read {entry.Name}: {e.Message}. Fix its permissions, or list it in .cfignore if it does not belong in the app.", e);
                    }

                    break;
            }
        }
    }

    private static int ModeOf(string path, int fallback)
        => OperatingSystem.IsWindows() ? fallback : (int)File.GetUnixFileMode(path) & 0xFFF;

    /// <summary>Unix mode and type in the high 16 bits, where unzip and the platform look for them.</summary>
    private static int Attributes(int type, int mode) => unchecked((int)((uint)(type | mode) << 16));

    private static DateTimeOffset Clamp(DateTime utc)
    {
        var time = new DateTimeOffset(utc, TimeSpan.Zero);
        return time < ZipEpoch ? ZipEpoch : time > ZipEnd ? ZipEnd : time;
    }
}
