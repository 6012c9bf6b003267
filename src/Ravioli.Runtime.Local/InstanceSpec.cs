using Ravioli.Core.Apps;

namespace Ravioli.Runtime.Local;

/// <summary>One app instance the node wants running: the desired state the executor reconciles towards.</summary>
/// <param name="DropletPath">A .tgz whose root holds <c>app/</c> (and <c>staging_info.json</c>); each run gets its own copy of <c>app/</c>.</param>
/// <param name="Command">Run as <c>/bin/sh -c "&lt;command&gt;"</c> in <c>/app</c>; empty means the droplet's <c>staging_info.json</c> start_command.</param>
/// <param name="Environment">Exactly the variables the app sees, plus PORT, CF_INSTANCE_PORT and CF_INSTANCE_ADDR from the executor.</param>
/// <param name="StartTimeout">How long the instance may take to pass its first health check; zero means <see cref="DefaultStartTimeout"/>.</param>
/// <param name="StopTimeout">Grace between SIGTERM and SIGKILL; zero means <see cref="DefaultStopTimeout"/>.</param>
public sealed record InstanceSpec(
    string InstanceGuid,
    string AppGuid,
    string AppName,
    string SpaceGuid,
    string ProcessType,
    int Index,
    string DropletPath,
    string Command,
    IReadOnlyDictionary<string, string> Environment,
    int MemoryMb,
    int DiskMb,
    HealthCheckSpec HealthCheck,
    TimeSpan StartTimeout = default,
    TimeSpan StopTimeout = default)
{
    public static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan DefaultStopTimeout = TimeSpan.FromSeconds(10);

    // A record parameter cannot default to a non-constant TimeSpan, so "zero" stands for "not given".
    public TimeSpan StartTimeout { get; init; } = StartTimeout > TimeSpan.Zero ? StartTimeout : DefaultStartTimeout;

    public TimeSpan StopTimeout { get; init; } = StopTimeout > TimeSpan.Zero ? StopTimeout : DefaultStopTimeout;

    /// <summary>
    /// A one-off task rather than a long-running process: no health check, and when it exits it is not restarted
    /// but ends <see cref="InstanceStates.Succeeded"/> (exit code 0) or <see cref="InstanceStates.Failed"/>.
    /// </summary>
    public bool RunOnce { get; init; }
}

/// <summary>How the executor decides an instance is healthy: <see cref="HealthCheckTypes"/>.</summary>
/// <param name="Endpoint">The path for an <c>http</c> check ("/" when null).</param>
/// <param name="InvocationTimeout">Time one check may take; zero means <see cref="DefaultInvocationTimeout"/>.</param>
public sealed record HealthCheckSpec(string Type, string? Endpoint = null, TimeSpan InvocationTimeout = default)
{
    public static readonly TimeSpan DefaultInvocationTimeout = TimeSpan.FromSeconds(1);

    public TimeSpan InvocationTimeout { get; init; } = InvocationTimeout > TimeSpan.Zero ? InvocationTimeout : DefaultInvocationTimeout;
}
