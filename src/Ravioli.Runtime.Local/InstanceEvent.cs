namespace Ravioli.Runtime.Local;

/// <summary>Something that happened to an instance, for the node's app event log and the control plane.</summary>
/// <param name="Type">One of <see cref="InstanceEventTypes"/>.</param>
/// <param name="Reason">For crashes: "out of memory", "disk quota exceeded", "health check failed: …", "exited with code N"; for stops and warnings ("pids limit reached: …"): what happened.</param>
/// <param name="CrashCount">Crashes counted by the restart policy, including this one.</param>
/// <param name="NextRestartAt">For crashes: when the instance is restarted (equal to <paramref name="Timestamp"/> for an immediate restart).</param>
public sealed record InstanceEvent(
    string Type,
    string InstanceGuid,
    string AppGuid,
    string ProcessType,
    int Index,
    DateTimeOffset Timestamp,
    int? Pid = null,
    int? ExitCode = null,
    string? Reason = null,
    int CrashCount = 0,
    DateTimeOffset? NextRestartAt = null);

/// <summary>Instance event types.</summary>
public static class InstanceEventTypes
{
    /// <summary>A run was launched (STARTING).</summary>
    public const string Started = "started";

    /// <summary>The run passed its first health check (RUNNING).</summary>
    public const string Running = "running";

    /// <summary>The run ended without being asked to; a restart follows per the backoff policy.</summary>
    public const string Crashed = "crashed";

    /// <summary>A run-once instance (a task) ended: ExitCode and, on failure, Reason say how.</summary>
    public const string Completed = "completed";

    /// <summary>The instance was stopped because it is no longer desired (or was replaced).</summary>
    public const string Stopped = "stopped";

    /// <summary>The instance runs with weaker isolation than configured (no sandbox, no cgroup limits), or hit a limit the kernel enforces without ending it (the pids limit).</summary>
    public const string Warning = "warning";
}

/// <summary>One line an app wrote to stdout or stderr.</summary>
/// <param name="Stream">"stdout" or "stderr".</param>
/// <param name="Timestamp">When the executor read the line from the instance's log file.</param>
public sealed record AppOutputLine(
    string InstanceGuid,
    string AppGuid,
    string ProcessType,
    int Index,
    string Stream,
    string Text,
    DateTimeOffset Timestamp);

/// <summary>What isolation the executor found on this host at start.</summary>
/// <param name="Sandbox">One of <see cref="SandboxModes"/>.</param>
/// <param name="CgroupVersion">"v1", "v2" or "none".</param>
/// <param name="EnforcedLimits">Which limits the kernel enforces per instance: memory, memory+swap, pids, cpu, ports (the socket rules).</param>
/// <param name="Warnings">Why isolation is weaker than it should be; empty on a fully capable host.</param>
public sealed record IsolationReport(
    string Sandbox,
    string CgroupVersion,
    IReadOnlyList<string> EnforcedLimits,
    IReadOnlyList<string> Warnings)
{
    public bool IsFullyIsolated => Sandbox != SandboxModes.None && CgroupVersion != "none" && Warnings.Count == 0;
}

/// <summary>How instances are sandboxed.</summary>
public static class SandboxModes
{
    /// <summary>bwrap in an unprivileged user namespace, entered after dropping to the sandbox uid: the app is uid 65534 on the host too.</summary>
    public const string Bwrap = "bwrap";

    /// <summary>bwrap started by the executor's own user (no uid drop available): uid 65534 inside maps to that user outside; capabilities are still dropped.</summary>
    public const string BwrapOwnUser = "bwrap-own-user";

    /// <summary>No sandbox: the app sees the host filesystem.</summary>
    public const string None = "none";
}
