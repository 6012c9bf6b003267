using System.Text.Json.Nodes;
using Ravioli.Brokers.State;

namespace Ravioli.Brokers.Engine;

/// <summary>
/// What one kind of middleware (PostgreSQL, Redis, MariaDB, RabbitMQ) does for the generic OSB engine. Every method is
/// idempotent: after a crash at any line the engine calls it again with the same records.
/// </summary>
internal interface IBrokerBackend
{
    /// <summary>"postgresql", "redis", "mariadb" or "rabbitmq".</summary>
    string Name { get; }

    ServiceDefinition Service { get; }

    /// <summary>Starts or re-adopts what the backend needs before it serves (its shared server, its client tools).</summary>
    Task StartAsync(CancellationToken ct);

    /// <summary>Creates the instance's resources, recording names and ports in <see cref="InstanceRecord.Details"/> first.</summary>
    /// <paramref name="checkpoint"/> persists what the backend wrote into the record so far (call it before creating anything that the details name).
    Task ProvisionAsync(InstanceRecord instance, PlanDefinition plan, Func<Task> checkpoint, CancellationToken ct);

    /// <summary>Null when an instance may move between these plans, else why not.</summary>
    string? RefusePlanChange(PlanDefinition from, PlanDefinition to);

    /// <summary>Applies a plan and/or parameter change (parameters already merged and validated).</summary>
    Task UpdateAsync(InstanceRecord instance, PlanDefinition plan, JsonObject? parameters, CancellationToken ct);

    /// <summary>Removes everything the instance had, including bindings the platform did not unbind.</summary>
    Task DeprovisionAsync(InstanceRecord instance, IReadOnlyList<BindingRecord> bindings, CancellationToken ct);

    /// <summary>Creates the binding's account (its password is already in <see cref="BindingRecord.Secrets"/>) and returns the credentials.</summary>
    Task<JsonObject> BindAsync(InstanceRecord instance, BindingRecord binding, CancellationToken ct);

    /// <summary>Removes the binding's account and ends its sessions.</summary>
    Task UnbindAsync(InstanceRecord instance, BindingRecord binding, CancellationToken ct);

    /// <summary>After a start: re-adopts the instance's dedicated server if it runs, restarts it otherwise.</summary>
    Task RecoverAsync(InstanceRecord instance, CancellationToken ct);

    /// <summary>Stops servers the backend started (dedicated instance servers and its shared server).</summary>
    Task StopServersAsync(IReadOnlyList<InstanceRecord> instances, CancellationToken ct);
}
