using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Ravioli.Brokers.State;

/// <summary>Where a service instance is in its life; an instance with an operation under way is never Ready.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InstanceState>))]
internal enum InstanceState
{
    Provisioning,
    Ready,
    Updating,
    Deprovisioning,
    ProvisionFailed,
}

[JsonConverter(typeof(JsonStringEnumConverter<BindingState>))]
internal enum BindingState
{
    Creating,
    Ready,
    Deleting,
}

[JsonConverter(typeof(JsonStringEnumConverter<OperationKind>))]
internal enum OperationKind
{
    Provision,
    Update,
    Deprovision,
}

/// <summary>OSB's three last_operation states.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OperationState>))]
internal enum OperationState
{
    InProgress,
    Succeeded,
    Failed,
}

/// <summary>The last asynchronous (or synchronous) operation on an instance, as last_operation reports it.</summary>
internal sealed class OperationRecord
{
    public required string Id { get; init; }
    public required OperationKind Kind { get; init; }
    public OperationState State { get; set; } = OperationState.InProgress;
    public string? Description { get; set; }
    public DateTimeOffset StartedAt { get; init; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>How many times a restart resumed this operation; bounded so a crash loop ends in "failed".</summary>
    public int Resumes { get; set; }
    /// <summary>For an update: the plan and merged parameters being applied, so a restart can finish it.</summary>
    public string? TargetPlanId { get; init; }
    public JsonObject? TargetParameters { get; init; }
}

/// <summary>A service instance as the broker persists it. Secrets are encrypted at rest by <see cref="StateStore"/>.</summary>
internal sealed class InstanceRecord
{
    public required string Id { get; init; }
    public required string ServiceId { get; init; }
    public required string PlanId { get; set; }
    public string? OrganizationGuid { get; init; }
    public string? SpaceGuid { get; init; }
    public JsonObject? Context { get; set; }
    public JsonObject? Parameters { get; set; }
    public InstanceState State { get; set; }
    /// <summary>Backend facts that are not secret: database name, port, directory.</summary>
    public Dictionary<string, string> Details { get; init; } = new(StringComparer.Ordinal);
    /// <summary>Backend secrets (admin passwords of dedicated servers); never logged, encrypted on disk.</summary>
    [JsonIgnore]
    public Dictionary<string, string> Secrets { get; set; } = new(StringComparer.Ordinal);
    public OperationRecord? LastOperation { get; set; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>A private copy for a backend to work on while requests keep reading the original under the engine's lock.</summary>
    public InstanceRecord Clone() => new()
    {
        Id = Id,
        ServiceId = ServiceId,
        PlanId = PlanId,
        OrganizationGuid = OrganizationGuid,
        SpaceGuid = SpaceGuid,
        Context = Context?.DeepClone().AsObject(),
        Parameters = Parameters?.DeepClone().AsObject(),
        State = State,
        Details = new Dictionary<string, string>(Details, StringComparer.Ordinal),
        Secrets = new Dictionary<string, string>(Secrets, StringComparer.Ordinal),
        LastOperation = LastOperation,
        CreatedAt = CreatedAt,
    };
}

/// <summary>A service binding as the broker persists it.</summary>
internal sealed class BindingRecord
{
    public required string Id { get; init; }
    public required string InstanceId { get; init; }
    public required string ServiceId { get; init; }
    public required string PlanId { get; init; }
    public string? AppGuid { get; init; }
    public JsonObject? BindResource { get; init; }
    public JsonObject? Parameters { get; init; }
    public BindingState State { get; set; }
    public Dictionary<string, string> Details { get; init; } = new(StringComparer.Ordinal);
    /// <summary>The binding's password and other secrets; encrypted on disk.</summary>
    [JsonIgnore]
    public Dictionary<string, string> Secrets { get; set; } = new(StringComparer.Ordinal);
    /// <summary>The credentials object handed to the platform; encrypted on disk.</summary>
    [JsonIgnore]
    public JsonObject? Credentials { get; set; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    public BindingRecord Clone() => new()
    {
        Id = Id,
        InstanceId = InstanceId,
        ServiceId = ServiceId,
        PlanId = PlanId,
        AppGuid = AppGuid,
        BindResource = BindResource?.DeepClone().AsObject(),
        Parameters = Parameters?.DeepClone().AsObject(),
        State = State,
        Details = new Dictionary<string, string>(Details, StringComparer.Ordinal),
        Secrets = new Dictionary<string, string>(Secrets, StringComparer.Ordinal),
        Credentials = Credentials?.DeepClone().AsObject(),
        CreatedAt = CreatedAt,
    };
}

/// <summary>Everything one broker remembers.</summary>
internal sealed class BrokerStateDocument
{
    public int Version { get; init; } = 1;
    public Dictionary<string, InstanceRecord> Instances { get; init; } = new(StringComparer.Ordinal);
    /// <summary>Keyed by "instanceId/bindingId".</summary>
    public Dictionary<string, BindingRecord> Bindings { get; init; } = new(StringComparer.Ordinal);
    /// <summary>Ids of deprovisioned instances, so last_operation can answer 410 Gone rather than 404.</summary>
    public Dictionary<string, DateTimeOffset> DeletedInstances { get; init; } = new(StringComparer.Ordinal);
    /// <summary>Encrypted secrets per instance id and per binding key, filled only while saving/loading.</summary>
    public Dictionary<string, string> SealedSecrets { get; set; } = new(StringComparer.Ordinal);

    public static string BindingKey(string instanceId, string bindingId) => $"{instanceId}/{bindingId}";
}
