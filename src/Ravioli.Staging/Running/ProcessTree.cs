using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Ravioli.Staging.Running;

/// <summary>Ends a command together with everything it started.</summary>
internal static partial class ProcessTree
{
    private const int SigKill = 9;

    public static void Kill(Process process, bool ownGroup)
    {
        var id = process.Id;
        try
        {
            // Follows parent links, so it also reaches children that moved to another process group.
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
        if (ownGroup)
        {
            KillGroup(id);
        }
    }

    /// <summary>Kills the process group led by <paramref name="leaderId"/>; orphans whose parent died are still in it.</summary>
    public static void KillGroup(int leaderId)
    {
        if (OperatingSystem.IsWindows() || leaderId <= 1)
        {
            return;
        }
        _ = NativeMethods.kill(-leaderId, SigKill);
    }

    private static partial class NativeMethods
    {
        [LibraryImport("libc", SetLastError = true)]
        internal static partial int kill(int pid, int signal);
    }
}
