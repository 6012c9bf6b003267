using System.Diagnostics;
using System.Globalization;
using Ravioli.Runtime.Local.Cgroups;
using Ravioli.Runtime.Local.Logs;
using Ravioli.Runtime.Local.Processes;
using Ravioli.Runtime.Local.Sandbox;

namespace Ravioli.Runtime.Local.Supervision;

/// <summary>
/// One launched run of an instance on the host: its wrapper (identified by pid and start time, so it works for a
/// re-adopted wrapper that is not our child), its cgroups, its log files, and how to end it.
/// </summary>
internal sealed class InstanceRun : IDisposable
{
    private readonly Process? _child;
    private int? _leader;
    private ulong _leaderStartTime;

    public InstanceRun(int wrapperPid, ulong startTime, Process? child, IReadOnlyList<string> cgroupDirs, string instanceDir, long stdoutOffset, long stderrOffset)
    {
        WrapperPid = wrapperPid;
        StartTime = startTime;
        _child = child;
        CgroupDirs = cgroupDirs;
        InstanceDir = instanceDir;
        Stdout = new LogTailer(Path.Combine(instanceDir, "logs", LaunchFiles.StdoutName), stdoutOffset);
        Stderr = new LogTailer(Path.Combine(instanceDir, "logs", LaunchFiles.StderrName), stderrOffset);
        // Our own child is reaped by .NET; waiting on it wakes the supervisor at once instead of at the next poll.
        Exited = child?.WaitForExitAsync() ?? Task.Delay(Timeout.Infinite);
    }

    public int WrapperPid { get; }

    public ulong StartTime { get; }

    public IReadOnlyList<string> CgroupDirs { get; }

    public string InstanceDir { get; }

    public LogTailer Stdout { get; }

    public LogTailer Stderr { get; }

    /// <summary>Completes when our own child wrapper exits; never for an adopted one (polling covers it).</summary>
    public Task Exited { get; }

    public bool IsAlive => WrapperPid > 0 && ProcFs.IsAlive(WrapperPid, StartTime);

    /// <summary>
    /// The app's session leader: the first descendant of the wrapper that leads its own session (bwrap's
    /// --new-session, or setsid without a sandbox). Its process group is the app's; inside the sandbox it is the
    /// pid namespace's init, whose death takes every process of the namespace with it.
    /// </summary>
    public int? FindLeader(IReadOnlyList<ProcStat>? all = null)
    {
        if (_leader is { } known && ProcFs.IsAlive(known, _leaderStartTime))
        {
            return known;
        }

        if (!IsAlive)
        {
            return null;
        }

        all ??= ProcFs.All();
        var descendants = ProcFs.Descendants([WrapperPid], all);
        var leader = all.Where(p => descendants.Contains(p.Pid) && p.Session == p.Pid && !p.IsGone).Select(p => (ProcStat?)p).FirstOrDefault();
        if (leader is { } found)
        {
            _leader = found.Pid;
            _leaderStartTime = found.StartTime;
        }

        return leader?.Pid;
    }

    /// <summary>Every process of the run except the wrapper: its cgroups, its sessions, and their descendants.</summary>
    public HashSet<int> Remnants()
    {
        var all = ProcFs.All();
        var byPid = all.ToDictionary(p => p.Pid);
        var found = InstanceCgroup.Processes(CgroupDirs);

        // A session id is only trusted while its leader is the process we knew (or gone): a recycled pid that
        // leads an unrelated session must never be mistaken for ours.
        var sessions = new List<int>();
        if (!byPid.TryGetValue(WrapperPid, out var wrapper) || wrapper.StartTime == StartTime)
        {
            sessions.Add(WrapperPid);
        }

        if (_leader is { } leader && (!byPid.TryGetValue(leader, out var l) || l.StartTime == _leaderStartTime))
        {
            sessions.Add(leader);
        }

        found.UnionWith(all.Where(p => sessions.Contains(p.Session) && !p.IsGone).Select(p => p.Pid));
        if (IsAlive)
        {
            found.UnionWith(ProcFs.Descendants([WrapperPid], all));
        }

        found.UnionWith(ProcFs.Descendants(found, all));
        found.Remove(WrapperPid);
        found.RemoveWhere(pid => pid <= 1);
        return found;
    }

    /// <summary>
    /// SIGTERM to the app's process group, then SIGKILL to everything after <paramref name="grace"/>.
    /// Returns true when SIGKILL was needed.
    /// </summary>
    public async Task<bool> TerminateAsync(TimeSpan grace, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!IsAlive)
        {
            return false;
        }

        if (FindLeader() is { } leader)
        {
            Native.Kill(-leader, Native.SigTerm);
        }
        else
        {
            // Still inside sandbox setup: no app exists yet that could shut down gracefully.
            grace = TimeSpan.Zero;
        }

        if (await WaitForExitAsync(grace, time, cancellationToken))
        {
            return false;
        }

        var deadline = time.GetUtcNow() + TimeSpan.FromSeconds(10);
        while (IsAlive && time.GetUtcNow() < deadline)
        {
            KillRemnants();
            await WaitForExitAsync(TimeSpan.FromMilliseconds(200), time, cancellationToken);
        }

        if (IsAlive)
        {
            // The wrapper outlived everything it ran for 10 s: it cannot be recording anything useful any more.
            Native.Kill(WrapperPid, Native.SigKill);
        }

        return true;
    }

    /// <summary>SIGKILL every process of the run but the wrapper (which then records the exit status and leaves).</summary>
    public void KillRemnants()
    {
        for (var round = 0; round < 20; round++)
        {
            if (_leader is { } leader && ProcFs.IsAlive(leader, _leaderStartTime))
            {
                // Killing the pid namespace's init kills the whole namespace at once, fork bomb included.
                Native.Kill(leader, Native.SigKill);
            }

            var remnants = Remnants();
            if (remnants.Count == 0)
            {
                return;
            }

            foreach (var pid in remnants)
            {
                Native.Kill(pid, Native.SigKill);
            }

            Thread.Sleep(10);
        }
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + timeout;
        while (IsAlive)
        {
            var left = deadline - time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            await Task.WhenAny(Exited, Task.Delay(TimeSpan.FromMilliseconds(Math.Min(25, left.TotalMilliseconds)), time, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
        }

        return true;
    }

    public int? ReadExitCode()
    {
        var text = ReadSmallFile(LaunchFiles.ExitCodeName);
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code) ? code : null;
    }

    public string? ReadSetupError() => ReadSmallFile(LaunchFiles.SetupErrorName) is { Length: > 0 } error ? error : null;

    /// <summary>CPU time and resident memory summed over the run's processes, for hosts without cgroups.</summary>
    public CgroupUsage UsageFromProc()
    {
        var all = ProcFs.All().ToDictionary(p => p.Pid);
        var pids = Remnants();
        pids.Add(WrapperPid);
        long ticks = 0, pages = 0;
        foreach (var pid in pids)
        {
            if (all.TryGetValue(pid, out var stat))
            {
                ticks += stat.CpuTicks;
                pages += stat.RssPages;
            }
        }

        return new CgroupUsage(pages * Environment.SystemPageSize, ticks * (1_000_000_000 / Native.ClockTicksPerSecond));
    }

    public void Dispose()
    {
        _child?.Dispose();
        Stdout.Dispose();
        Stderr.Dispose();
    }

    private string? ReadSmallFile(string name)
    {
        try
        {
            var path = Path.Combine(InstanceDir, name);
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
