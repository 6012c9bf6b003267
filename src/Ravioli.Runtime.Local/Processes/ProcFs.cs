using System.Globalization;

namespace Ravioli.Runtime.Local.Processes;

/// <summary>What /proc/PID/stat says about one process.</summary>
/// <param name="StartTime">Clock ticks after boot; with the pid it identifies a process even after the pid is recycled.</param>
internal readonly record struct ProcStat(
    int Pid, char State, int ParentPid, int ProcessGroup, int Session, long CpuTicks, ulong StartTime, long RssPages)
{
    public bool IsGone => State is 'Z' or 'X' or 'x';
}

/// <summary>Reads /proc: liveness by (pid, start time), process trees, sessions. Death of a process that is not our child is only visible here.</summary>
internal static class ProcFs
{
    public static ProcStat? ReadStat(int pid)
    {
        try
        {
            return ParseStat(pid, File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    internal static ProcStat? ParseStat(int pid, string text)
    {
        // Field 2 (comm) may hold spaces and parentheses; every other field follows the last ')'.
        var close = text.LastIndexOf(')');
        if (close < 0 || close + 2 > text.Length)
        {
            return null;
        }

        var f = text[(close + 2)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length < 22 || f[0].Length != 1)
        {
            return null;
        }

        // f[0] is field 3 (state); utime/stime are fields 14/15, starttime 22, rss 24.
        return new ProcStat(
            pid,
            f[0][0],
            ParseInt(f[1]),
            ParseInt(f[2]),
            ParseInt(f[3]),
            ParseLong(f[11]) + ParseLong(f[12]),
            ulong.Parse(f[19], CultureInfo.InvariantCulture),
            ParseLong(f[21]));
    }

    /// <summary>True while the process that had <paramref name="pid"/> at <paramref name="startTime"/> runs (a zombie counts as dead).</summary>
    public static bool IsAlive(int pid, ulong startTime) =>
        ReadStat(pid) is { } stat && !stat.IsGone && stat.StartTime == startTime;

    public static List<ProcStat> All()
    {
        var result = new List<ProcStat>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && ReadStat(pid) is { } stat)
            {
                result.Add(stat);
            }
        }

        return result;
    }

    /// <summary>All descendants of <paramref name="roots"/> (not the roots themselves).</summary>
    public static HashSet<int> Descendants(IReadOnlyCollection<int> roots, IReadOnlyList<ProcStat> all)
    {
        var children = all.ToLookup(p => p.ParentPid, p => p.Pid);
        var found = new HashSet<int>();
        var queue = new Queue<int>(roots);
        while (queue.TryDequeue(out var pid))
        {
            foreach (var child in children[pid])
            {
                if (found.Add(child))
                {
                    queue.Enqueue(child);
                }
            }
        }

        return found;
    }

    public static string? ReadCmdline(int pid)
    {
        try
        {
            return File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/cmdline")).Replace('\0', ' ').TrimEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static int ParseInt(string s) => int.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    private static long ParseLong(string s) => long.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
}
