using System.Runtime.InteropServices;

namespace Ravioli.Runtime.Local.Processes;

/// <summary>The few libc calls .NET does not expose: signals to arbitrary pids and process groups, lchown, fsync of a directory.</summary>
internal static partial class Native
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000;
    private const int OCloExec = 0x80000;

    public static bool IsRoot => GetEuid() == 0;

    /// <summary>Sends a signal; a negative pid addresses a process group.</summary>
    public static bool Kill(int pid, int signal) => KillNative(pid, signal) == 0;

    /// <summary>chown that never follows a symlink: the droplet (and so the app) controls the tree.</summary>
    public static void LChown(string path, int uid, int gid)
    {
        if (LChownNative(path, uid, gid) != 0)
        {
            throw new IOException($"lchown {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>A read-only descriptor of a directory (a cgroup's, to attach programs to), or -1 with errno set.</summary>
    public static int OpenDirectory(string directory) => Open(directory, ORdOnly | ODirectory | OCloExec);

    public static void CloseDescriptor(int fd) => _ = Close(fd);

    /// <summary>The bpf(2) system call, which libc does not wrap; returns its result or -1 with errno set.</summary>
    public static unsafe long Bpf(int command, void* attributes, int size)
    {
        long number = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 321,
            Architecture.Arm64 => 280,
            var other => throw new PlatformNotSupportedException($"bpf(2) on {other} is not wired up"),
        };
        return Syscall(number, command, attributes, size);
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static unsafe partial long Syscall(long number, long command, void* attributes, long size);

    /// <summary>Makes a rename inside <paramref name="directory"/> durable.</summary>
    public static void FsyncDirectory(string directory)
    {
        var fd = Open(directory, ORdOnly | ODirectory | OCloExec);
        if (fd < 0)
        {
            return;
        }

        try
        {
            _ = Fsync(fd);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// Marks every descriptor above stderr close-on-exec. .NET opens its own that way, but descriptors this process
    /// inherited from its parent (a pipe from a CI runner or init script) would otherwise flow into the wrappers
    /// and apps, which outlive us: whoever reads that pipe would wait for EOF until the last instance dies.
    /// </summary>
    public static void MarkInheritedDescriptorsCloseOnExec()
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (int.TryParse(Path.GetFileName(entry), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var fd) && fd > 2)
            {
                var flags = Fcntl(fd, FGetFd, 0);
                if (flags >= 0 && (flags & FdCloExec) == 0)
                {
                    _ = Fcntl(fd, FSetFd, flags | FdCloExec);
                }
            }
        }
    }

    private const int FGetFd = 1;
    private const int FSetFd = 2;
    private const int FdCloExec = 1;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LChownNative(string path, int owner, int group);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    /// <summary>Clock ticks per second, the unit of utime/stime/starttime in /proc/PID/stat.</summary>
    public static long ClockTicksPerSecond { get; } = SysConf(2) is > 0 and var ticks ? ticks : 100;
}
