using System.Globalization;

namespace Ravioli.Runtime.Local;

/// <summary>What the executor observes about one instance (the actual LRP); never mixed with <see cref="InstanceSpec"/>.</summary>
/// <param name="Pid">Host pid of the instance's supervising wrapper; the app runs in its session (and cgroup).</param>
/// <param name="Since">When the instance entered <paramref name="State"/>.</param>
/// <param name="CpuPercent">CPU use over the last stats interval, 100 = one core.</param>
/// <param name="StartedAt">When the current (or last) run was launched.</param>
public sealed record InstanceStatus(
    string InstanceGuid,
    string AppGuid,
    string ProcessType,
    int Index,
    string State,
    int? Pid,
    int? Port,
    DateTimeOffset Since,
    int CrashCount,
    int? LastExitCode,
    string? LastCrashReason,
    DateTimeOffset? NextRestartAt,
    double CpuPercent,
    long MemoryBytes,
    long DiskBytes,
    DateTimeOffset? StartedAt)
{
    /// <summary>Where the router sends this instance's traffic: "127.0.0.1:PORT" (the port is reserved for the instance's lifetime).</summary>
    public string Address => Port is { } port ? string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}") : string.Empty;
}

/// <summary>Instance states, named as Cloud Foundry's actual LRPs are.</summary>
public static class InstanceStates
{
    /// <summary>Launched, not yet healthy.</summary>
    public const string Starting = "STARTING";

    /// <summary>Passed its health check; routable.</summary>
    public const string Running = "RUNNING";

    /// <summary>Exited or was killed for a reason; waits for its restart (see NextRestartAt).</summary>
    public const string Crashed = "CRASHED";

    /// <summary>Not running and not crashed: about to launch, or stopped.</summary>
    public const string Down = "DOWN";

    /// <summary>Received SIGTERM; SIGKILL follows after the stop timeout.</summary>
    public const string Stopping = "STOPPING";

    /// <summary>A run-once instance (a task) exited with code 0; it is not restarted.</summary>
    public const string Succeeded = "SUCCEEDED";

    /// <summary>A run-once instance (a task) exited otherwise, or was killed; it is not restarted.</summary>
    public const string Failed = "FAILED";
}
