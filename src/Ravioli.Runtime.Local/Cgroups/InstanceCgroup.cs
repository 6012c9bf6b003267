using System.Globalization;

namespace Ravioli.Runtime.Local.Cgroups;

/// <summary>
/// Reads and removes one instance's groups, given only their directories (as persisted), so it works the same
/// for v1 (one directory per controller) and v2 (one directory) and after the executor restarted.
/// </summary>
internal static class InstanceCgroup
{
    /// <summary>Every pid in any of the groups.</summary>
    public static HashSet<int> Processes(IEnumerable<string> dirs)
    {
        var pids = new HashSet<int>();
        foreach (var dir in dirs)
        {
            foreach (var line in ReadLines(Path.Combine(dir, "cgroup.procs")))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    pids.Add(pid);
                }
            }
        }

        return pids;
    }

    /// <summary>Working-set memory (usage minus inactive page cache, as Kubernetes counts it) and total CPU time; null without a memory group.</summary>
    public static CgroupUsage? ReadUsage(IReadOnlyList<string> dirs)
    {
        long? memory = null;
        long cpu = 0;
        foreach (var dir in dirs)
        {
            if (ReadLong(Path.Combine(dir, "memory.current")) is { } current)
            {
                memory = Math.Max(0, current - (StatValue(Path.Combine(dir, "memory.stat"), "inactive_file") ?? 0));
            }
            else if (ReadLong(Path.Combine(dir, "memory.usage_in_bytes")) is { } usage)
            {
                memory = Math.Max(0, usage - (StatValue(Path.Combine(dir, "memory.stat"), "total_inactive_file") ?? 0));
            }

            if (ReadLong(Path.Combine(dir, "cpuacct.usage")) is { } nanos)
            {
                cpu = nanos;
            }
            else if (StatValue(Path.Combine(dir, "cpu.stat"), "usage_usec") is { } micros)
            {
                cpu = micros * 1000;
            }
        }

        return memory is { } m ? new CgroupUsage(m, cpu) : null;
    }

    /// <summary>
    /// Whether the kernel's OOM killer killed something in the group: the oom_kill counter (v2 memory.events,
    /// v1 memory.oom_control since 4.13); on older v1 kernels a limit hit (failcnt) plus a SIGKILL exit is the best evidence.
    /// </summary>
    public static bool WasOomKilled(IReadOnlyList<string> dirs, int? exitCode)
    {
        foreach (var dir in dirs)
        {
            if (StatValue(Path.Combine(dir, "memory.events"), "oom_kill") is { } v2Kills)
            {
                return v2Kills > 0;
            }

            if (StatValue(Path.Combine(dir, "memory.oom_control"), "oom_kill") is { } v1Kills)
            {
                return v1Kills > 0;
            }

            if (ReadLong(Path.Combine(dir, "memory.failcnt")) is { } failures)
            {
                return failures > 0 && exitCode == 137;
            }
        }

        return false;
    }

    /// <summary>How many process or thread creations the kernel refused because the group was at its pids limit (pids.events "max"); 0 without a pids group.</summary>
    public static long PidsLimitRefusals(IReadOnlyList<string> dirs)
    {
        foreach (var dir in dirs)
        {
            if (StatValue(Path.Combine(dir, "pids.events"), "max") is { } refusals)
            {
                return refusals;
            }
        }

        return 0;
    }

    /// <summary>rmdir every group (a cgroup directory is removed, never emptied); false while any still holds a process.</summary>
    public static bool TryRemove(IEnumerable<string> dirs)
    {
        var removed = true;
        foreach (var dir in dirs)
        {
            try
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: false);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                removed = false;
            }
        }

        return removed;
    }

    internal static long? StatValue(string file, string key)
    {
        foreach (var line in ReadLines(file))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 && line.AsSpan(0, space).SequenceEqual(key)
                && long.TryParse(line.AsSpan(space + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return null;
    }

    private static long? ReadLong(string file)
    {
        var lines = ReadLines(file);
        return lines.Length > 0 && long.TryParse(lines[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    private static string[] ReadLines(string file)
    {
        try
        {
            return File.Exists(file) ? File.ReadAllLines(file) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
