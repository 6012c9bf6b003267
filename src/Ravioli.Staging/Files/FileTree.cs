namespace Ravioli.Staging.Files;

/// <summary>Copies, moves and removes directory trees the way staging needs: modes kept, symlinks not followed.</summary>
internal static class FileTree
{
    public readonly record struct CopyStats(int Files, long Bytes, IReadOnlyList<string> SkippedLinks);

    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="destination"/>, keeping file modes. Symlinks
    /// are copied as symlinks when they stay inside the tree and skipped otherwise: a link to the
    /// staging host's files has no meaning in a droplet. The source comes from an extracted zip, so it
    /// holds only files, directories and symlinks (no FIFOs or devices to guard against).
    /// </summary>
    public static async Task<CopyStats> CopyAsync(string source, string destination, CancellationToken cancellationToken)
    {
        var files = 0;
        long bytes = 0;
        var skipped = new List<string>();
        Directory.CreateDirectory(destination);
        await CopyDirectoryAsync(new DirectoryInfo(source), destination, "");
        return new CopyStats(files, bytes, skipped);

        async Task CopyDirectoryAsync(DirectoryInfo directory, string target, string relative)
        {
            foreach (var entry in directory.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = false }))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var entryRelative = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
                var targetPath = Path.Combine(target, entry.Name);
                if (entry.LinkTarget is { } linkTarget)
                {
                    if (SafeExtractor.SymlinkStaysInside(entryRelative, linkTarget))
                    {
                        File.CreateSymbolicLink(targetPath, linkTarget);
                    }
                    else
                    {
                        skipped.Add(entryRelative);
                    }
                }
                else if (entry is DirectoryInfo subdirectory)
                {
                    Directory.CreateDirectory(targetPath);
                    await CopyDirectoryAsync(subdirectory, targetPath, entryRelative);
                    UnixFiles.SetMode(targetPath, UnixFiles.GetMode(subdirectory.FullName) | UnixFiles.UserAll);
                }
                else if (entry is FileInfo file)
                {
                    await using (var input = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true))
                    await using (var output = new FileStream(targetPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
                    {
                        await input.CopyToAsync(output, cancellationToken);
                    }
                    UnixFiles.SetMode(targetPath, UnixFiles.GetMode(file.FullName) | UnixFileMode.UserRead | UnixFileMode.UserWrite);
                    files++;
                    bytes += file.Length;
                }
            }
        }
    }

    /// <summary>Moves every entry of <paramref name="source"/> into <paramref name="destination"/> (same file system).</summary>
    public static void MoveContents(string source, string destination, Func<string, bool>? include = null)
    {
        Directory.CreateDirectory(destination);
        // A snapshot first: the destination may be inside the source, and entries leave it while we go.
        foreach (var entry in new DirectoryInfo(source).GetFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }))
        {
            if (include is not null && !include(entry.Name))
            {
                continue;
            }
            var target = Path.Combine(destination, entry.Name);
            if (entry is DirectoryInfo && entry.LinkTarget is null)
            {
                Directory.Move(entry.FullName, target);
            }
            else
            {
                File.Move(entry.FullName, target);
            }
        }
    }

    /// <summary>Deletes a tree, including read-only parts (Go's module cache is read-only by design).</summary>
    public static void Delete(string path)
    {
        if (File.Exists(path) || SafeExtractor.IsSymlink(path))
        {
            File.Delete(path);
            return;
        }
        if (!Directory.Exists(path))
        {
            return;
        }
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (UnauthorizedAccessException)
        {
            MakeWritable(new DirectoryInfo(path));
            Directory.Delete(path, recursive: true);
        }
    }

    /// <summary>Deletes every entry of a directory except the named ones.</summary>
    public static void DeleteContents(string directory, IReadOnlySet<string> keep)
    {
        foreach (var entry in new DirectoryInfo(directory).GetFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }))
        {
            if (!keep.Contains(entry.Name))
            {
                Delete(entry.FullName);
            }
        }
    }

    private static void MakeWritable(DirectoryInfo directory)
    {
        UnixFiles.SetMode(directory.FullName, UnixFiles.GetMode(directory.FullName) | UnixFiles.UserAll);
        foreach (var sub in directory.EnumerateDirectories("*", new EnumerationOptions { AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            MakeWritable(sub);
        }
    }
}
