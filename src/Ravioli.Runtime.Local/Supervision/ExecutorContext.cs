using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Ravioli.Runtime.Local.Cgroups;
using Ravioli.Runtime.Local.Health;
using Ravioli.Runtime.Local.Ports;
using Ravioli.Runtime.Local.Sandbox;

namespace Ravioli.Runtime.Local.Supervision;

/// <summary>What every instance supervisor shares: options, the host's isolation, ports, health checks, the outgoing streams.</summary>
internal sealed class ExecutorContext
{
    public required LocalExecutorOptions Options { get; init; }

    public required ILogger Logger { get; init; }

    public required TimeProvider Time { get; init; }

    public required SandboxSetup Sandbox { get; init; }

    public required CgroupHost Cgroups { get; init; }

    public required PortAllocator Ports { get; init; }

    public required HealthChecker Health { get; init; }

    public required ChannelWriter<InstanceEvent> Events { get; init; }

    public required ChannelWriter<AppOutputLine> Output { get; init; }

    /// <summary>Writes state.json with the current desired set and every supervisor's record.</summary>
    public required Func<CancellationToken, Task> PersistAsync { get; init; }

    public required string InstancesDirectory { get; init; }

    /// <summary>Set when isolation is degraded: repeated as a warning event on every launch, so the app's own event log shows it.</summary>
    public string? IsolationWarning { get; init; }

    public DateTimeOffset Now => Time.GetUtcNow();
}
