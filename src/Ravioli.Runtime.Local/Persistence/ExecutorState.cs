namespace Ravioli.Runtime.Local.Persistence;

/// <summary>
/// What state.json holds: the last desired set and, per instance, what a restarted executor needs to re-adopt it
/// (wrapper pid + start time, port, cgroups, directory, log offsets) or to continue its restart policy.
/// A persistence entity: it changes shape only with <see cref="Version"/>.
/// </summary>
internal sealed record ExecutorStateDocument
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;

    public IReadOnlyList<InstanceSpec> Desired { get; init; } = [];

    public IReadOnlyList<InstanceRecord> Instances { get; init; } = [];
}

/// <summary>One supervised instance as persisted.</summary>
internal sealed record InstanceRecord
{
    /// <summary>The spec the instance runs with (kept even after it left the desired set, until it is stopped).</summary>
    public required InstanceSpec Spec { get; init; }

    public required string InstanceDirectory { get; init; }

    public string State { get; init; } = InstanceStates.Down;

    public DateTimeOffset Since { get; init; }

    /// <summary>One of <see cref="RunPhases"/>: tells a restarted executor whether a wrapper may exist.</summary>
    public string Phase { get; init; } = RunPhases.Idle;

    public int? Port { get; init; }

    public int? WrapperPid { get; init; }

    /// <summary>Field 22 of /proc/PID/stat: a recycled pid has a different start time, so it is never mistaken for the wrapper.</summary>
    public ulong? WrapperStartTime { get; init; }

    public IReadOnlyList<string> CgroupDirectories { get; init; } = [];

    public int CrashCount { get; init; }

    public int? LastExitCode { get; init; }

    public string? LastCrashReason { get; init; }

    public DateTimeOffset? NextRestartAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? RunningSince { get; init; }

    public long StdoutOffset { get; init; }

    public long StderrOffset { get; init; }
}

/// <summary>Where a run is in its life, as far as a restarted executor must know.</summary>
internal static class RunPhases
{
    /// <summary>No wrapper exists (never launched, crashed and waiting, or stopped).</summary>
    public const string Idle = "idle";

    /// <summary>Files are prepared and the wrapper may have been started; its pid is in wrapper.pid if so.</summary>
    public const string Launching = "launching";

    /// <summary>The wrapper's pid and start time are recorded.</summary>
    public const string Running = "running";
}
