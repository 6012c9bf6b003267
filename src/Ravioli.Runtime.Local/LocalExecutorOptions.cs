namespace Ravioli.Runtime.Local;

/// <summary>Tunables of the local executor; every one has a documented default and is validated at construction.</summary>
public sealed record LocalExecutorOptions
{
    /// <summary>Holds <c>state.json</c> and one directory per instance. Required.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>First port handed to instances (default 61000).</summary>
    public int PortRangeStart { get; init; } = 61000;

    /// <summary>Last port handed to instances, inclusive (default 61999).</summary>
    public int PortRangeEnd { get; init; } = 61999;

    /// <summary>Crashes restarted without delay before backoff begins (default 3, as Cloud Foundry).</summary>
    public int ImmediateRestarts { get; init; } = 3;

    /// <summary>Delay before the first delayed restart; doubles on every further crash (default 30 s).</summary>
    public TimeSpan InitialRestartDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound of the restart delay (default 16 min).</summary>
    public TimeSpan MaxRestartDelay { get; init; } = TimeSpan.FromMinutes(16);

    /// <summary>An instance RUNNING this long has its crash count reset (default 5 min).</summary>
    public TimeSpan CrashCountResetAfter { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Health check interval while RUNNING (default 10 s).</summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Health check interval while STARTING, short so instances become routable quickly (default 100 ms: a port or
    /// HTTP check on loopback costs well under a millisecond, and the interval is, on average, half of it added to
    /// every start and every recovery from a crash).
    /// </summary>
    public TimeSpan StartupHealthCheckInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Consecutive failed checks that crash a RUNNING instance (default 3).</summary>
    public int HealthCheckFailureThreshold { get; init; } = 3;

    /// <summary>How often CPU, memory and disk are measured and the disk quota enforced (default 5 s).</summary>
    public TimeSpan StatsInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often exits are detected and logs tailed (default 200 ms).</summary>
    public TimeSpan MonitorInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Maximum processes and threads per instance (cgroup pids.max, default 1024).</summary>
    public int PidsLimit { get; init; } = 1024;

    /// <summary>true: refuse to start without bwrap and writable cgroups. false (default): run with a loud warning.</summary>
    public bool RequireSandbox { get; init; }

    /// <summary>Where the cgroup filesystem is mounted (default /sys/fs/cgroup).</summary>
    public string CgroupFsRoot { get; init; } = "/sys/fs/cgroup";

    /// <summary>Parent cgroup of all instances, below each hierarchy's root (default "ravioli").</summary>
    public string CgroupParent { get; init; } = "ravioli";

    /// <summary>The bubblewrap binary (default /usr/bin/bwrap); a missing file means no sandbox.</summary>
    public string BwrapPath { get; init; } = "/usr/bin/bwrap";

    /// <summary>Uid the app runs as (default 65534, nobody).</summary>
    public int SandboxUid { get; init; } = 65534;

    /// <summary>Gid the app runs as (default 65534, nogroup).</summary>
    public int SandboxGid { get; init; } = 65534;

    /// <summary>Events kept for a slow reader before the oldest are dropped (default 10 000).</summary>
    public int EventBufferCapacity { get; init; } = 10_000;

    /// <summary>Output lines kept for a slow reader before the oldest are dropped (default 10 000).</summary>
    public int OutputBufferCapacity { get; init; } = 10_000;

    /// <summary>An instance log file is truncated once read past this size (default 16 MiB).</summary>
    public long MaxLogFileBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(StateDirectory) && Path.IsPathRooted(StateDirectory), nameof(StateDirectory), "must be an absolute path");
        Require(PortRangeStart is > 0 and <= 65535, nameof(PortRangeStart), "must be a TCP port");
        Require(PortRangeEnd >= PortRangeStart && PortRangeEnd <= 65535, nameof(PortRangeEnd), "must be a TCP port not below PortRangeStart");
        Require(ImmediateRestarts >= 0, nameof(ImmediateRestarts), "must not be negative");
        Require(InitialRestartDelay > TimeSpan.Zero, nameof(InitialRestartDelay), "must be positive");
        Require(MaxRestartDelay >= InitialRestartDelay, nameof(MaxRestartDelay), "must not be below InitialRestartDelay");
        Require(CrashCountResetAfter > TimeSpan.Zero, nameof(CrashCountResetAfter), "must be positive");
        Require(HealthCheckInterval > TimeSpan.Zero, nameof(HealthCheckInterval), "must be positive");
        Require(StartupHealthCheckInterval > TimeSpan.Zero, nameof(StartupHealthCheckInterval), "must be positive");
        Require(HealthCheckFailureThreshold >= 1, nameof(HealthCheckFailureThreshold), "must be at least 1");
        Require(StatsInterval > TimeSpan.Zero, nameof(StatsInterval), "must be positive");
        Require(MonitorInterval > TimeSpan.Zero, nameof(MonitorInterval), "must be positive");
        Require(PidsLimit >= 8, nameof(PidsLimit), "must be at least 8 (the wrapper and sandbox need a few)");
        Require(!string.IsNullOrWhiteSpace(CgroupFsRoot), nameof(CgroupFsRoot), "must be set");
        Require(IsSafeName(CgroupParent), nameof(CgroupParent), "must be a simple name");
        Require(SandboxUid > 0 && SandboxGid > 0, nameof(SandboxUid), "the sandbox user must not be root");
        Require(EventBufferCapacity >= 1, nameof(EventBufferCapacity), "must be at least 1");
        Require(OutputBufferCapacity >= 1, nameof(OutputBufferCapacity), "must be at least 1");
        Require(MaxLogFileBytes >= 4096, nameof(MaxLogFileBytes), "must be at least 4096");
    }

    internal static bool IsSafeName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 64 && name != "." && name != ".."
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static void Require(bool condition, string name, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"LocalExecutorOptions.{name} {message}.", name);
        }
    }
}
