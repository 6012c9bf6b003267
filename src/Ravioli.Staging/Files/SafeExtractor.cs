using Ravioli.Staging.Droplets;

namespace Ravioli.Staging.Files;

/// <summary>
/// Writes archive entries under one root and refuses anything that could land outside it: absolute
/// names, <c>..</c> components, symlinks that point out (or could, via another link), writes through a
/// symlink, and more bytes than allowed.
/// </summary>
internal sealed class SafeExtractor
{
    private const UnixFileMode PermissionBits = (UnixFileMode)0x1FF; // 0777: no setuid, setgid or sticky from an archive
    private const UnixFileMode DefaultFileMode = (UnixFileMode)0x1A4; // 0644
    private const UnixFileMode DefaultDirectoryMode = (UnixFileMode)0x1ED; // 0755

    private readonly string _root;
    private readonly string _archiveName;
    private readonly long _maxBytes;
    private readonly Dictionary<string, UnixFileMode> _directoryModes = new(StringComparer.Ordinal);
    private long _written;

    public SafeExtractor(string root, string archiveName, long maxBytes)
    {
        _root = Path.GetFullPath(root).TrimEnd('/');
        _archiveName = archiveName;
        _maxBytes = maxBytes;
        Directory.CreateDirectory(_root);
    }

    /// <summary>The entry's path relative to the root, normalised, or an exception if it could escape.</summary>
    public string Normalize(string entryName)
    {
        if (entryName.Contains('\0', StringComparison.Ordinal))
        {
            throw Reject(entryName, "its name contains a NUL character");
        }
        var name = entryName.Replace('\\', '/');
        if (name.StartsWith('/') || (name.Length >= 2 && name[1] == ':' && char.IsAsciiLetter(name[0])))
        {
            throw Reject(entryName, "it has an absolute path");
        }
        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }
            if (part == "..")
            {
                throw Reject(entryName, "its path contains '..'");
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    public void CreateDirectory(string relative, UnixFileMode? mode)
    {
        if (relative.Length == 0)
        {
            return;
        }
        var full = PrepareParents(relative);
        if (IsSymlink(full))
        {
            throw Reject(relative, "it replaces a symlink with a directory");
        }
        if (File.Exists(full))
        {
            throw Reject(relative, "a file of the same name was extracted before");
        }
        Directory.CreateDirectory(full);
        // Applied at the end: a read-only directory mode applied now would stop its own entries from being written.
        _directoryModes[full] = Sanitize(mode, DefaultDirectoryMode) | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    }

    public async Task WriteFileAsync(string relative, Stream? content, UnixFileMode? mode, CancellationToken cancellationToken)
    {
        if (relative.Length == 0)
        {
            throw Reject(relative, "it has an empty name");
        }
        var full = PrepareParents(relative);
        RemoveExistingFile(relative, full);
        await using (var output = new FileStream(full, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
        {
            if (content is not null)
            {
                await CopyLimitedAsync(relative, content, output, cancellationToken);
            }
        }
        UnixFiles.SetMode(full, Sanitize(mode, DefaultFileMode));
    }

    public void CreateSymlink(string relative, string target)
    {
        if (relative.Length == 0)
        {
            throw Reject(relative, "it has an empty name");
        }
        if (!SymlinkStaysInside(relative, target))
        {
            throw Reject(relative, $"it is a symlink to '{target}', outside the archive's root");
        }
        var full = PrepareParents(relative);
        RemoveExistingFile(relative, full);
        File.CreateSymbolicLink(full, target);
    }

    /// <summary>A hard link becomes a copy of a file extracted earlier from the same archive.</summary>
    public void CreateHardLink(string relative, string targetEntryName)
    {
        var target = Normalize(targetEntryName);
        var targetFull = Path.Combine(_root, target);
        var full = PrepareParents(relative);
        if (!File.Exists(targetFull) || IsSymlink(targetFull) || HasSymlinkParent(target))
        {
            throw Reject(relative, $"it is a hard link to '{targetEntryName}', which is not a file extracted before it");
        }
        RemoveExistingFile(relative, full);
        var length = new FileInfo(targetFull).Length;
        AddBytes(relative, length);
        File.Copy(targetFull, full);
    }

    /// <summary>Applies directory modes once every entry is in place.</summary>
    public void Complete()
    {
        foreach (var (path, mode) in _directoryModes.OrderByDescending(d => d.Key.Length))
        {
            UnixFiles.SetMode(path, mode);
        }
    }

    /// <summary>
    /// True if the link's target stays under the root however the kernel resolves it: relative, and
    /// '..' only as a leading run. (After a normal name, '..' would climb from wherever that name, maybe
    /// a symlink to '.', really points, which no lexical check can bound.)
    /// </summary>
    internal static bool SymlinkStaysInside(string linkRelativePath, string target)
    {
        if (target.Length == 0 || target.StartsWith('/') || target.Contains('\0', StringComparison.Ordinal) || target.Contains('\\', StringComparison.Ordinal))
        {
            return false;
        }
        var depth = linkRelativePath.Split('/', StringSplitOptions.RemoveEmptyEntries).Length - 1;
        var climbing = true;
        foreach (var part in target.Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (!climbing || --depth < 0)
                {
                    return false;
                }
            }
            else
            {
                climbing = false;
            }
        }
        return true;
    }

    private string PrepareParents(string relative)
    {
        var parts = relative.Split('/');
        var current = _root;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            current = Path.Combine(current, parts[i]);
            if (IsSymlink(current))
            {
                throw Reject(relative, $"its path goes through the symlink '{string.Join('/', parts[..(i + 1)])}'");
            }
            if (File.Exists(current))
            {
                throw Reject(relative, $"'{string.Join('/', parts[..(i + 1)])}' is a file, not a directory");
            }
            if (!Directory.Exists(current))
            {
                Directory.CreateDirectory(current);
                _directoryModes.TryAdd(current, DefaultDirectoryMode);
            }
        }
        return Path.Combine(_root, relative);
    }

    private bool HasSymlinkParent(string relative)
    {
        var parts = relative.Split('/');
        var current = _root;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            current = Path.Combine(current, parts[i]);
            if (IsSymlink(current))
            {
                return true;
            }
        }
        return false;
    }

    private void RemoveExistingFile(string relative, string full)
    {
        if (IsSymlink(full) || File.Exists(full))
        {
            // Deleting first means a later entry never writes through a link an earlier entry planted.
            File.Delete(full);
        }
        else if (Directory.Exists(full))
        {
            throw Reject(relative, "a directory of the same name was extracted before");
        }
    }

    private async Task CopyLimitedAsync(string relative, Stream source, Stream destination, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            AddBytes(relative, read);
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    private void AddBytes(string relative, long count)
    {
        _written += count;
        if (_written > _maxBytes)
        {
            throw Reject(relative, $"the archive unpacks to more than {_maxBytes / (1024 * 1024)} MB");
        }
    }

    private static UnixFileMode Sanitize(UnixFileMode? mode, UnixFileMode fallback)
    {
        var bits = (mode ?? 0) & PermissionBits;
        return bits == 0 ? fallback : bits;
    }

    internal static bool IsSymlink(string path) => new FileInfo(path).LinkTarget is not null;

    private ArchiveRejectedException Reject(string entryName, string why) =>
        new($"{_archiveName} was rejected: entry '{entryName}' is unsafe because {why}. Nothing from it should be trusted; build the archive again.");
}
