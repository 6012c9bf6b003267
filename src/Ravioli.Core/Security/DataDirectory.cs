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
