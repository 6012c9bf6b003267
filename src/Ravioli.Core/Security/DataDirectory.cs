using System.Runtime.InteropServices;

namespace Ravioli.Core.Security;

/// <summary>
/// File modes for the platform's data directory. The directory itself is rwx--x--x: the sandbox uid must
/// traverse it to reach app and staging directories bound into sandboxes, but may list nothing. Everything
/// secret inside is created owner-only (umask 077; keys/ is 0700, key files 0600).
/// </summary>
public static partial class DataDirectory
{
    public const UnixFileMode Traversable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>Creates the directory (and parents) if needed and makes it traversable, not listable, by others.</summary>
    public static string EnsureTraversable(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(full);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(full, Traversable);
        }
        return full;
    }

    /// <summary>Files this process creates default to owner-only; whatever must be shared is opened up explicitly.</summary>
    public static void RestrictUmask()
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = Umask(Convert.ToUInt32("077", 8));
        }
    }

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);
}

/// <summary>
/// Where directories that sandboxes bind (instance copies of droplets, staging work, build caches) live. The
/// sandbox runs as an unprivileged uid that must traverse every directory above them; a data directory under a
/// 0700 home (root's ~/.ravioli) does not allow that, and opening up someone's home is not ours to do. So: the data
/// directory itself when all its ancestors can be traversed, else a stable directory per data directory under
/// /var/lib/ravioli (or the temp directory when that cannot be created).
/// </summary>
public static class RuntimeDirectory
{
    public static string For(string dataDirectory)
    {
        var full = Path.GetFullPath(dataDirectory);
        if (OperatingSystem.IsWindows() || AncestorsTraversable(full))
        {
            return DataDirectory.EnsureTraversable(full);
        }
        var id = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(full)))[..12];
        foreach (var root in new[] { "/var/lib/ravioli", Path.Combine(Path.GetTempPath(), "ravioli-runtime") })
        {
            try
            {
                DataDirectory.EnsureTraversable(root);
                var candidate = Path.Combine(root, id);
                if (AncestorsTraversable(candidate))
                {
                    return DataDirectory.EnsureTraversable(candidate);
                }
            }
            catch (UnauthorizedAccessException)
            {
            }
            catch (IOException)
            {
            }
        }
        throw new InvalidOperationException($"No directory reachable by the sandbox user was found for {full}; use a data directory outside a private home (e.g. --data-dir /var/lib/ravioli/data).");
    }

    private static bool AncestorsTraversable(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return true;
        }
        for (var dir = Path.GetDirectoryName(path); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (Directory.Exists(dir) && (File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) == 0)
            {
                return false;
            }
        }
        return true;
    }
}
