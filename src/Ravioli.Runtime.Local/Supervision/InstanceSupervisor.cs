using System.Diagnostics;
using System.Globalization;
using Ravioli.Runtime.Local.Cgroups;
using Ravioli.Runtime.Local.Diagnostics;
using Ravioli.Runtime.Local.Persistence;
using Ravioli.Runtime.Local.Processes;
using Ravioli.Runtime.Local.Sandbox;

namespace Ravioli.Runtime.Local.Supervision;

/// <summary>
/// Keeps one instance alive: launches it, watches exit, health, disk and resources, restarts it per the backoff
/// policy, and stops it when asked. Each pass of its loop reads what is true now (is the wrapper alive, did the
/// check pass, is the restart due) and acts on that, so it can resume from a persisted record at any point.
/// Only the loop mutates the record; readers get immutable copies.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The current run is disposed by the supervisor loop that owns it, when the run ends or the loop exits.")]
internal sealed class InstanceSupervisor
{
    private const long MiB = 1024 * 1024;
    private static readonly TimeSpan OffsetFlushInterval = TimeSpan.FromSeconds(1);
    // A fork bomb keeps hitting the limit; one warning a minute says so without flooding the app's log.
    private static readonly TimeSpan PidsWarningInterval = TimeSpan.FromMinutes(1);

    private readonly ExecutorContext _ctx;
    private readonly TaskCompletionSource _stopRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _adopt;
    private InstanceRecord _record;
    private InstanceStatus _status;
    private InstanceRun? _run;
    private string _stopReason = "stopped";
    private DateTimeOffset _nextHealthAt;
    private DateTimeOffset _nextStatsAt;
    private DateTimeOffset _offsetsSavedAt;
    private int _healthFailures;
    private string _lastHealthDetail = "no health check has run yet";
    private (DateTimeOffset At, long CpuNanoseconds)? _lastCpu;
    private double _cpuPercent;
    private long _memoryBytes;
    private long _diskBytes;
    private long? _freeBytesAtMeasure;
    private long _pidsRefusalsReported;
    private DateTimeOffset? _pidsWarnedAt;

    public InstanceSupervisor(ExecutorContext ctx, InstanceSpec spec, InstanceRecord? persisted)
    {
        _ctx = ctx;
        _adopt = persisted is not null;
        _record = persisted ?? new InstanceRecord
        {
            Spec = spec,
            InstanceDirectory = Path.Combine(ctx.InstancesDirectory, spec.InstanceGuid),
            Since = ctx.Now,
        };
        Fingerprint = SpecFingerprint.Of(_record.Spec);
        _status = BuildStatus(_record);
    }

    public InstanceSpec Spec => _record.Spec;

    public string Fingerprint { get; }

    public bool IsStopping => _stopRequested.Task.IsCompleted;

    public InstanceStatus Status => Volatile.Read(ref _status);

    public InstanceRecord Record => Volatile.Read(ref _record);

    public Task Completion { get; private set; } = Task.CompletedTask;

    public void Start(CancellationToken shutdown) => Completion = Task.Run(() => RunAsync(shutdown), CancellationToken.None);

    /// <summary>Asks the loop to stop the instance (SIGTERM, SIGKILL after the stop timeout) and finish.</summary>
    public void RequestStop(string reason)
    {
        if (!IsStopping)
        {
            _stopReason = reason;
            _stopRequested.TrySetResult();
        }
    }

    private async Task RunAsync(CancellationToken shutdown)
    {
        try
        {
            var adopted = !_adopt;
            while (true)
            {
                try
                {
                    if (!adopted)
                    {
                        await AdoptAsync(shutdown);
                        adopted = true;
                    }
                    else if (IsStopping)
                    {
                        await StopAsync(shutdown);
                        return;
                    }
                    else if (_run is null && Spec.RunOnce && _record.State is InstanceStates.Succeeded or InstanceStates.Failed)
                    {
                        // A finished task stays finished until it leaves the desired set.
                        await WaitAsync(TimeSpan.FromHours(1), shutdown);
                    }
                    else if (_run is null)
                    {
                        await LaunchWhenDueAsync(shutdown);
                    }
                    else
                    {
                        await MonitorAsync(_run, shutdown);
                    }
                }
                catch (Exception e) when (!shutdown.IsCancellationRequested)
                {
                    Log.SupervisorError(_ctx.Logger, Spec.InstanceGuid, e);
                    await WaitAsync(TimeSpan.FromSeconds(1), shutdown);
                }
            }
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            // The executor is going away, the instance is not: keep its log position for the next executor,
            // which persists it with everything else in one final write.
            if (_run is { } run)
            {
                Update(r => r with { StdoutOffset = run.Stdout.Offset, StderrOffset = run.Stderr.Offset });
            }
        }
        finally
        {
            _run?.Dispose();
        }
    }

    /// <summary>Resumes from a persisted record: re-adopts a live wrapper, or handles the end of a run nobody watched.</summary>
    private async Task AdoptAsync(CancellationToken shutdown)
    {
        var r = _record;
        var pid = r.WrapperPid;
        var startTime = r.WrapperStartTime;
        if (pid is null && r.Phase == RunPhases.Launching && FindLaunchedWrapper(r.InstanceDirectory) is { } launched)
        {
            // The previous executor started the wrapper but died before recording its pid.
            (pid, startTime) = launched;
        }

        if (pid is { } p && startTime is { } s && ProcFs.IsAlive(p, s))
        {
            _run = new InstanceRun(p, s, null, r.CgroupDirectories, r.InstanceDirectory, r.StdoutOffset, r.StderrOffset);
            var now = _ctx.Now;
            var state = r.RunningSince is null ? InstanceStates.Starting : InstanceStates.Running;
            Update(x => x with { Phase = RunPhases.Running, WrapperPid = p, WrapperStartTime = s, State = state, Since = state == x.State ? x.Since : now });
            _nextHealthAt = now;
            _nextStatsAt = now;
            Log.Adopted(_ctx.Logger, Spec.InstanceGuid, p);
            await _ctx.PersistAsync(shutdown);
            return;
        }

        if (r.Phase != RunPhases.Idle)
        {
            // It ran and ended (or never got going) while no executor watched: its exit status and OOM counter are
            // still on disk and in the cgroup, so it is judged like any other crash.
            Log.EndedWhileAway(_ctx.Logger, Spec.InstanceGuid);
            _run = new InstanceRun(pid ?? 0, startTime ?? 0, null, r.CgroupDirectories, r.InstanceDirectory, r.StdoutOffset, r.StderrOffset);
            if (pid is null)
            {
                // Never launched: nothing crashed, just launch again.
                _run.KillRemnants();
                await CleanupRunAsync(_run);
                _run = null;
                Update(x => x with { Phase = RunPhases.Idle, State = InstanceStates.Down, Since = _ctx.Now });
                await _ctx.PersistAsync(shutdown);
                return;
            }

            await EndRunAsync(_run, forcedReason: null, shutdown);
        }
    }

    private async Task LaunchWhenDueAsync(CancellationToken shutdown)
    {
        var now = _ctx.Now;
        if (_record.NextRestartAt is { } due && due > now)
        {
            await WaitAsync(due - now, shutdown);
            return;
        }

        await LaunchAsync(shutdown);
    }

    private async Task LaunchAsync(CancellationToken shutdown)
    {
        var spec = Spec;
        var dir = _record.InstanceDirectory;
        IReadOnlyList<string> cgroups = [];
        Process? process = null;
        try
        {
            var port = _ctx.Ports.Allocate(spec.InstanceGuid, _record.Port);
            Update(r => r with { Port = port });
            var startCommand = await InstanceDirectory.PrepareRunAsync(dir, spec.DropletPath, _ctx.Sandbox, shutdown);
            var command = string.IsNullOrWhiteSpace(spec.Command) ? startCommand : spec.Command;
            if (string.IsNullOrWhiteSpace(command))
            {
                throw new InvalidDataException("no command was given and the droplet's staging_info.json has no start_command");
            }

            cgroups = _ctx.Cgroups.Create(spec.InstanceGuid, CgroupLimits.For(spec.MemoryMb, _ctx.Options.PidsLimit) with
            {
                Ports = new PortPolicy(port, _ctx.Options.PortRangeStart, _ctx.Options.PortRangeEnd),
            });
            var script = LaunchFiles.Write(_ctx.Sandbox, dir, spec.InstanceGuid, command, ComposeEnvironment(spec, port), spec.DiskMb * MiB, spec.MemoryMb * MiB, cgroups);

            // Recorded before the wrapper exists: an executor dying on the next line leaves a record that says
            // "look for wrapper.pid", never a wrapper nobody knows about.
            Update(r => r with
            {
                Phase = RunPhases.Launching,
                WrapperPid = null,
                WrapperStartTime = null,
                CgroupDirectories = cgroups,
                StdoutOffset = 0,
                StderrOffset = 0,
            });
            await _ctx.PersistAsync(shutdown);

            var start = new ProcessStartInfo(_ctx.Sandbox.SetsidPath)
            {
                UseShellExecute = false,
                WorkingDirectory = dir,
            };
            start.ArgumentList.Add("/bin/sh");
            start.ArgumentList.Add(script);
            // The wrapper runs as root: it gets a fixed, minimal environment, never the app's.
            start.Environment.Clear();
            start.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
            Native.MarkInheritedDescriptorsCloseOnExec();
            process = Process.Start(start) ?? throw new InvalidOperationException("the wrapper did not start");
            var (pid, startTime) = await WaitForWrapperPidAsync(dir, process, shutdown);
            _run = new InstanceRun(pid, startTime, process.Id == pid ? process : null, cgroups, dir, 0, 0);
            if (process.Id != pid)
            {
                process.Dispose();
            }

            process = null;
            var now = _ctx.Now;
            Update(r => r with
            {
                Phase = RunPhases.Running,
                WrapperPid = pid,
                WrapperStartTime = startTime,
                State = InstanceStates.Starting,
                Since = now,
                StartedAt = now,
                RunningSince = null,
                NextRestartAt = null,
            });
            _nextHealthAt = now;
            _nextStatsAt = now;
            _healthFailures = 0;
            _lastHealthDetail = "no health check has run yet";
            _lastCpu = null;
            _freeBytesAtMeasure = null;
            _pidsRefusalsReported = 0;
            _pidsWarnedAt = null;
            await _ctx.PersistAsync(shutdown);
            Log.Started(_ctx.Logger, spec.InstanceGuid, spec.AppName, spec.ProcessType, spec.Index, pid, port);
            Emit(InstanceEventTypes.Started, pid: pid);
            if (_ctx.IsolationWarning is { } warning)
            {
                Emit(InstanceEventTypes.Warning, pid: pid, reason: warning);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !shutdown.IsCancellationRequested)
        {
            if (_run is null)
            {
                // Whatever did start of this run must not outlive the failure: it would hold the cgroup and the port.
                if (process is { HasExited: false })
                {
                    process.Kill(entireProcessTree: true);
                }

                foreach (var pid in InstanceCgroup.Processes(cgroups))
                {
                    Native.Kill(pid, Native.SigKill);
                }

                process?.Dispose();
                for (var attempt = 0; attempt < 50 && !InstanceCgroup.TryRemove(cgroups); attempt++)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), _ctx.Time, CancellationToken.None);
                }

                Update(r => r with { Phase = RunPhases.Idle, CgroupDirectories = [] });
                await RecordCrashAsync(null, null, $"failed to start: {e.Message}", shutdown);
            }
            else
            {
                process?.Dispose();
                throw;
            }
        }
    }

    private async Task MonitorAsync(InstanceRun run, CancellationToken shutdown)
    {
        DeliverOutput(run, final: false);
        if (!run.IsAlive)
        {
            await EndRunAsync(run, forcedReason: null, shutdown);
            return;
        }

        var spec = Spec;
        var now = _ctx.Now;
        if (_record.State == InstanceStates.Starting && spec.RunOnce)
        {
            // A task has no port to check: launched is running.
            Update(r => r with { State = InstanceStates.Running, Since = now, RunningSince = now });
            await _ctx.PersistAsync(shutdown);
            Emit(InstanceEventTypes.Running, pid: run.WrapperPid);
        }
        else if (_record.State == InstanceStates.Starting)
        {
            if (now >= _nextHealthAt)
            {
                var result = await _ctx.Health.CheckAsync(spec.HealthCheck, _record.Port ?? 0, processAlive: true, shutdown);
                now = _ctx.Now;
                _nextHealthAt = now + _ctx.Options.StartupHealthCheckInterval;
                if (result.Healthy)
                {
                    Update(r => r with { State = InstanceStates.Running, Since = now, RunningSince = now });
                    await _ctx.PersistAsync(shutdown);
                    Log.Running(_ctx.Logger, spec.InstanceGuid, spec.AppName, spec.ProcessType, spec.Index);
                    Emit(InstanceEventTypes.Running, pid: run.WrapperPid);
                }
                else
                {
                    _lastHealthDetail = result.Detail;
                }
            }

            if (_record.State == InstanceStates.Starting && now - (_record.StartedAt ?? now) >= spec.StartTimeout)
            {
                await CrashRunAsync(run, $"health check failed: not healthy within {Seconds(spec.StartTimeout)} ({_lastHealthDetail})", shutdown);
                return;
            }
        }
        else if (_record.State == InstanceStates.Running)
        {
            if (now >= _nextHealthAt)
            {
                var result = await _ctx.Health.CheckAsync(spec.HealthCheck, _record.Port ?? 0, run.IsAlive, shutdown);
                now = _ctx.Now;
                _nextHealthAt = now + _ctx.Options.HealthCheckInterval;
                _healthFailures = result.Healthy ? 0 : _healthFailures + 1;
                if (_healthFailures >= _ctx.Options.HealthCheckFailureThreshold)
                {
                    await CrashRunAsync(run, $"health check failed: {result.Detail} ({_healthFailures} times in a row)", shutdown);
                    return;
                }
            }

            // Stable for long enough: the next crash is again a one-off that deserves an immediate restart.
            if (_record.CrashCount > 0 && _record.RunningSince is { } since && now - since >= _ctx.Options.CrashCountResetAfter)
            {
                Update(r => r with { CrashCount = 0 });
                await _ctx.PersistAsync(shutdown);
            }
        }

        if (now >= _nextStatsAt || DiskFillingFast(run))
        {
            _nextStatsAt = now + _ctx.Options.StatsInterval;
            MeasureResources(run, now);
            if (_diskBytes > spec.DiskMb * MiB)
            {
                // Every second of a graceful stop is more disk written: an instance over its quota is killed at once.
                await CrashRunAsync(run, "disk quota exceeded", shutdown, TimeSpan.Zero);
                return;
            }
        }

        if ((run.Stdout.Offset != _record.StdoutOffset || run.Stderr.Offset != _record.StderrOffset) && now - _offsetsSavedAt >= OffsetFlushInterval)
        {
            run.Stdout.TruncateIfLarge(_ctx.Options.MaxLogFileBytes);
            run.Stderr.TruncateIfLarge(_ctx.Options.MaxLogFileBytes);
            Update(r => r with { StdoutOffset = run.Stdout.Offset, StderrOffset = run.Stderr.Offset });
            _offsetsSavedAt = now;
            await _ctx.PersistAsync(shutdown);
        }

        await WaitAsync(_ctx.Options.MonitorInterval, shutdown, run.Exited);
    }

    /// <summary>Ends a run the executor decided to kill (health, disk): stop it like a graceful stop, then judge it as a crash.</summary>
    private async Task CrashRunAsync(InstanceRun run, string reason, CancellationToken shutdown, TimeSpan? grace = null)
    {
        await run.TerminateAsync(grace ?? Spec.StopTimeout, _ctx.Time, shutdown);
        await EndRunAsync(run, reason, shutdown);
    }

    /// <summary>The wrapper is gone: collect the last output, the exit status and the OOM verdict, clean up, and crash.</summary>
    private async Task EndRunAsync(InstanceRun run, string? forcedReason, CancellationToken shutdown)
    {
        run.KillRemnants();
        DeliverOutput(run, final: true);
        var exitCode = run.ReadExitCode();
        var setupError = run.ReadSetupError();
        var oom = InstanceCgroup.WasOomKilled(run.CgroupDirs, exitCode);
        var reason = forcedReason
            ?? (oom ? "out of memory"
            : setupError is not null ? $"failed to start: {setupError}"
            : exitCode is { } code ? string.Create(CultureInfo.InvariantCulture, $"exited with code {code}")
            : "the instance's processes ended without an exit status");
        await CleanupRunAsync(run);
        _run = null;
        run.Dispose();
        if (Spec.RunOnce)
        {
            await RecordCompletionAsync(exitCode, forcedReason is null && !oom && setupError is null && exitCode == 0 ? null : reason, shutdown);
            return;
        }
        await RecordCrashAsync(exitCode, run.WrapperPid > 0 ? run.WrapperPid : null, reason, shutdown);
    }

    /// <summary>A task ended: succeeded on exit code 0, failed otherwise; either way it is not run again.</summary>
    private async Task RecordCompletionAsync(int? exitCode, string? failure, CancellationToken shutdown)
    {
        var now = _ctx.Now;
        _cpuPercent = 0;
        _memoryBytes = 0;
        Update(r => r with
        {
            State = failure is null ? InstanceStates.Succeeded : InstanceStates.Failed,
            Since = now,
            Phase = RunPhases.Idle,
            WrapperPid = null,
            WrapperStartTime = null,
            CgroupDirectories = [],
            LastExitCode = exitCode,
            LastCrashReason = failure,
            NextRestartAt = null,
            RunningSince = null,
        });
        await _ctx.PersistAsync(shutdown);
        Emit(InstanceEventTypes.Completed, exitCode: exitCode, reason: failure, timestamp: now);
    }

    private async Task RecordCrashAsync(int? exitCode, int? pid, string reason, CancellationToken shutdown)
    {
        var spec = Spec;
        var now = _ctx.Now;
        var crashCount = _record.CrashCount + 1;
        var next = now + RestartBackoff.DelayAfter(crashCount, _ctx.Options);
        _cpuPercent = 0;
        _memoryBytes = 0;
        Update(r => r with
        {
            State = InstanceStates.Crashed,
            Since = now,
            Phase = RunPhases.Idle,
            WrapperPid = null,
            WrapperStartTime = null,
            CgroupDirectories = [],
            CrashCount = crashCount,
            LastExitCode = exitCode,
            LastCrashReason = reason,
            NextRestartAt = next,
            RunningSince = null,
        });
        await _ctx.PersistAsync(shutdown);
        Log.Crashed(_ctx.Logger, spec.InstanceGuid, spec.AppName, spec.ProcessType, spec.Index, reason, exitCode, crashCount, next);
        Emit(InstanceEventTypes.Crashed, pid: pid, exitCode: exitCode, reason: reason, crashCount: crashCount, nextRestartAt: next, timestamp: now);
    }

    private async Task StopAsync(CancellationToken shutdown)
    {
        var spec = Spec;
        var reason = _stopReason;
        if (_run is { } run)
        {
            Update(r => r with { State = InstanceStates.Stopping, Since = _ctx.Now });
            await _ctx.PersistAsync(shutdown);
            var killed = await run.TerminateAsync(spec.StopTimeout, _ctx.Time, shutdown);
            run.KillRemnants();
            DeliverOutput(run, final: true);
            await CleanupRunAsync(run);
            _run = null;
            run.Dispose();
            if (killed)
            {
                reason += $"; killed with SIGKILL after the {Seconds(spec.StopTimeout)} stop timeout";
            }
        }

        try
        {
            InstanceDirectory.DeleteTree(_record.InstanceDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover directory costs disk, not correctness: the next run of this guid replaces its contents.
        }

        if (_record.Port is { } port)
        {
            _ctx.Ports.Release(port, spec.InstanceGuid);
        }

        _cpuPercent = 0;
        _memoryBytes = 0;
        _diskBytes = 0;
        Update(r => r with { State = InstanceStates.Down, Since = _ctx.Now, Phase = RunPhases.Idle, WrapperPid = null, WrapperStartTime = null, CgroupDirectories = [] });
        Log.Stopped(_ctx.Logger, spec.InstanceGuid, spec.AppName, spec.ProcessType, spec.Index, reason);
        Emit(InstanceEventTypes.Stopped, reason: reason);
    }

    private async Task CleanupRunAsync(InstanceRun run)
    {
        // A just-killed process stays in its cgroup until its parent reaps it: give the reaper a moment.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (InstanceCgroup.TryRemove(run.CgroupDirs))
            {
                return;
            }

            run.KillRemnants();
            await Task.Delay(TimeSpan.FromMilliseconds(50), _ctx.Time, CancellationToken.None);
        }

        Log.CgroupNotRemoved(_ctx.Logger, Spec.InstanceGuid, string.Join(", ", run.CgroupDirs));
    }

    private void MeasureResources(InstanceRun run, DateTimeOffset now)
    {
        var usage = run.CgroupDirs.Count > 0 ? InstanceCgroup.ReadUsage(run.CgroupDirs) ?? run.UsageFromProc() : run.UsageFromProc();
        if (_lastCpu is { } last && now > last.At)
        {
            var cpu = (usage.CpuNanoseconds - last.CpuNanoseconds) / ((now - last.At).TotalMilliseconds * 1_000_000) * 100;
            _cpuPercent = Math.Max(0, Math.Round(cpu, 2));
        }

        _lastCpu = (now, usage.CpuNanoseconds);
        _memoryBytes = usage.MemoryBytes;

        var refusals = InstanceCgroup.PidsLimitRefusals(run.CgroupDirs);
        if (refusals > _pidsRefusalsReported && (_pidsWarnedAt is not { } warned || now - warned >= PidsWarningInterval))
        {
            var spec = Spec;
            Log.PidsLimitReached(_ctx.Logger, spec.InstanceGuid, spec.AppName, spec.ProcessType, spec.Index, _ctx.Options.PidsLimit, refusals);
            Emit(InstanceEventTypes.Warning, pid: run.WrapperPid,
                reason: string.Create(CultureInfo.InvariantCulture, $"pids limit reached: the kernel refused {refusals - _pidsRefusalsReported} process or thread creations (at most {_ctx.Options.PidsLimit} per instance)"));
            _pidsRefusalsReported = refusals;
            _pidsWarnedAt = now;
        }

        // Taken before the walk: whatever is written during it counts as growth at the next look.
        _freeBytesAtMeasure = FreeBytes(run.InstanceDir);
        var disk = InstanceDirectory.MeasureBytes(Path.Combine(run.InstanceDir, "app"));
        if (_ctx.Sandbox.BwrapPath is not null && run.FindLeader() is { } leader)
        {
            // The sandbox's /tmp is a tmpfs only visible through its processes; it counts against the disk quota too.
            disk += InstanceDirectory.MeasureBytes(string.Create(CultureInfo.InvariantCulture, $"/proc/{leader}/root/tmp"));
        }

        _diskBytes = disk;
        Publish();
    }

    /// <summary>
    /// Between stats passes a hostile app can write gigabytes, and the disk quota is measured, not enforced by the
    /// filesystem. One statvfs per monitor tick is cheap: when the filesystem under the instance lost more space since
    /// the last measurement than the instance had left of its quota, it may be over it already, so measure now.
    /// </summary>
    private bool DiskFillingFast(InstanceRun run) =>
        _freeBytesAtMeasure is { } before && FreeBytes(run.InstanceDir) is { } free && before - free > (Spec.DiskMb * MiB) - _diskBytes;

    private static long? FreeBytes(string path)
    {
        try
        {
            return new DriveInfo(path).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private void DeliverOutput(InstanceRun run, bool final)
    {
        var spec = Spec;
        foreach (var (tailer, stream) in new[] { (run.Stdout, "stdout"), (run.Stderr, "stderr") })
        {
            List<string> lines;
            try
            {
                lines = tailer.ReadLines(final);
            }
            catch (IOException)
            {
                continue;
            }

            var now = _ctx.Now;
            foreach (var line in lines)
            {
                _ctx.Output.TryWrite(new AppOutputLine(spec.InstanceGuid, spec.AppGuid, spec.ProcessType, spec.Index, stream, line, now));
            }
        }
    }

    private static Dictionary<string, string> ComposeEnvironment(InstanceSpec spec, int port)
    {
        var environment = new Dictionary<string, string>(spec.Environment, StringComparer.Ordinal);
        var portText = port.ToString(CultureInfo.InvariantCulture);
        environment["PORT"] = portText;
        environment["CF_INSTANCE_PORT"] = portText;
        environment["CF_INSTANCE_ADDR"] = "127.0.0.1:" + portText;
        return environment;
    }

    /// <summary>The wrapper writes its own pid first thing: authoritative even if setsid had to fork.</summary>
    private async Task<(int Pid, ulong StartTime)> WaitForWrapperPidAsync(string dir, Process process, CancellationToken shutdown)
    {
        var deadline = _ctx.Now + TimeSpan.FromSeconds(10);
        while (true)
        {
            if (ReadWrapperPid(dir) is { } pid)
            {
                return (pid, ProcFs.ReadStat(pid)?.StartTime ?? 0);
            }

            if (process.HasExited && ReadWrapperPid(dir) is null)
            {
                throw new InvalidOperationException($"the instance wrapper exited at once with code {process.ExitCode} (see {Path.Combine(dir, "wrapper.log")})");
            }

            if (_ctx.Now > deadline)
            {
                throw new TimeoutException("the instance wrapper did not report its pid within 10 s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), _ctx.Time, shutdown);
        }
    }

    private static (int, ulong)? FindLaunchedWrapper(string dir)
    {
        if (ReadWrapperPid(dir) is not { } pid || ProcFs.ReadStat(pid) is not { IsGone: false } stat)
        {
            return null;
        }

        // Only a process running this instance's launch script is ours; the pid may have been recycled.
        var cmdline = ProcFs.ReadCmdline(pid);
        return cmdline is not null && cmdline.Contains(Path.Combine(dir, LaunchFiles.ScriptName), StringComparison.Ordinal) ? (pid, stat.StartTime) : null;
    }

    private static int? ReadWrapperPid(string dir)
    {
        try
        {
            var path = Path.Combine(dir, LaunchFiles.WrapperPidName);
            var text = File.Exists(path) ? File.ReadAllText(path) : string.Empty;
            // Only a complete line: the wrapper may be writing it right now.
            return text.EndsWith('\n') && int.TryParse(text.AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private async Task WaitAsync(TimeSpan delay, CancellationToken shutdown, Task? alsoWakeOn = null)
    {
        var timer = Task.Delay(delay, _ctx.Time, shutdown);
        await Task.WhenAny(timer, _stopRequested.Task, alsoWakeOn ?? timer);
        shutdown.ThrowIfCancellationRequested();
    }

    private void Update(Func<InstanceRecord, InstanceRecord> change)
    {
        Volatile.Write(ref _record, change(_record));
        Publish();
    }

    private void Publish() => Volatile.Write(ref _status, BuildStatus(_record));

    private InstanceStatus BuildStatus(InstanceRecord r) => new(
        r.Spec.InstanceGuid,
        r.Spec.AppGuid,
        r.Spec.ProcessType,
        r.Spec.Index,
        r.State,
        r.WrapperPid,
        r.Port,
        r.Since,
        r.CrashCount,
        r.LastExitCode,
        r.LastCrashReason,
        r.State == InstanceStates.Crashed ? r.NextRestartAt : null,
        _cpuPercent,
        _memoryBytes,
        _diskBytes,
        r.StartedAt);

    private void Emit(string type, int? pid = null, int? exitCode = null, string? reason = null, int? crashCount = null, DateTimeOffset? nextRestartAt = null, DateTimeOffset? timestamp = null)
    {
        var spec = Spec;
        _ctx.Events.TryWrite(new InstanceEvent(
            type, spec.InstanceGuid, spec.AppGuid, spec.ProcessType, spec.Index, timestamp ?? _ctx.Now,
            pid, exitCode, reason, crashCount ?? _record.CrashCount, nextRestartAt));
    }

    private static string Seconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.###} s");
}
