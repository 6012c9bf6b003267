using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ravioli.Cli.Model;

// The parts of the API's resources the CLI reads to print tables and resolve names. `--json`
// prints the server's own JSON instead, so these only list the fields the CLI actually uses.

/// <summary>A top-level API resource; keeps the JSON it was read from so <c>--json</c> can print it whole.</summary>
internal abstract record Resource
{
    [JsonIgnore]
    public JsonElement Raw { get; set; }
}

/// <summary><c>{"data": {"guid"}}</c>, where <c>data</c> may be null.</summary>
internal sealed record ToOne(GuidRef? Data);

/// <summary><c>{"data": [{"guid"}]}</c>.</summary>
internal sealed record ToMany(IReadOnlyList<GuidRef>? Data);

internal sealed record GuidRef(string Guid);

internal sealed record OrganizationResource(string Guid, string Name, bool Suspended, OrganizationRelationships? Relationships) : Resource;

internal sealed record OrganizationRelationships(ToOne? Quota);

internal sealed record SpaceResource(string Guid, string Name, SpaceRelationships? Relationships) : Resource;

internal sealed record SpaceRelationships(ToOne? Organization);

internal sealed record UserResource(string Guid, string Username, string? PresentationName, bool Admin) : Resource;

internal sealed record RoleResource(string Guid, string Type, RoleRelationships? Relationships) : Resource;

internal sealed record RoleRelationships(ToOne? User, ToOne? Organization, ToOne? Space);

internal sealed record QuotaResource(
    string Guid,
    string Name,
    QuotaApps? Apps,
    QuotaServices? Services,
    QuotaRoutes? Routes,
    QuotaRelationships? Relationships) : Resource;

internal sealed record QuotaApps(long? TotalMemoryInMb, long? PerProcessMemoryInMb, long? TotalInstances, long? TotalApps);

internal sealed record QuotaServices(long? TotalServiceInstances);

internal sealed record QuotaRoutes(long? TotalRoutes);

internal sealed record QuotaRelationships(ToMany? Organizations);

internal sealed record AppResource(string Guid, string Name, string? State, AppLifecycle? Lifecycle = null) : Resource;

internal sealed record AppLifecycle(string? Type, AppLifecycleData? Data);

internal sealed record AppLifecycleData(IReadOnlyList<string>? Buildpacks, string? Stack);

internal sealed record EnvironmentVariablesResource(IReadOnlyDictionary<string, string>? Var) : Resource;

internal sealed record ProcessResource(
    string Guid,
    string Type,
    string? Command,
    int Instances,
    int MemoryInMb,
    int DiskInMb,
    HealthCheck? HealthCheck,
    ProcessRelationships? Relationships) : Resource;

internal sealed record HealthCheck(string? Type, HealthCheckData? Data);

internal sealed record HealthCheckData(int? Timeout, int? InvocationTimeout, string? Endpoint);

internal sealed record ProcessRelationships(ToOne? App);

/// <summary>One instance of a process, from <c>GET /v3/processes/{guid}/stats</c> (Cloud Foundry's shape).</summary>
internal sealed record InstanceStats(
    string? Type,
    int Index,
    string? State,
    long? Uptime,
    long? MemQuota,
    long? DiskQuota,
    InstanceUsage? Usage,
    string? Details);

internal sealed record InstanceUsage(DateTimeOffset? Time, double? Cpu, long? Mem, long? Disk);

internal sealed record DomainResource(string Guid, string Name, DomainRelationships? Relationships) : Resource
{
    public bool IsShared => Relationships?.Organization?.Data is null;
}

internal sealed record DomainRelationships(ToOne? Organization);

internal sealed record RouteResource(
    string Guid,
    string Host,
    string? Path,
    string? Url,
    IReadOnlyList<RouteDestination>? Destinations,
    RouteRelationships? Relationships) : Resource;

internal sealed record RouteDestination(string Guid, RouteDestinationApp? App);

internal sealed record RouteDestinationApp(string Guid, RouteDestinationProcess? Process);

internal sealed record RouteDestinationProcess(string? Type);

internal sealed record RouteRelationships(ToOne? Space, ToOne? Domain);

internal sealed record DropletResource(
    string Guid,
    DateTimeOffset CreatedAt,
    string? State,
    string? Error,
    string? Buildpack,
    IReadOnlyDictionary<string, string>? ProcessTypes) : Resource;

internal sealed record PackageResource(string Guid, DateTimeOffset CreatedAt, string? State, PackageData? Data) : Resource;

internal sealed record PackageData(string? Error);

internal sealed record BuildResource(string Guid, string? State, string? Error, GuidRef? Droplet) : Resource;

internal sealed record BuildpackResource(
    string Guid,
    string Name,
    int? Position,
    bool? Enabled,
    bool? Locked,
    string? Filename,
    string? Stack,
    string? State) : Resource;

internal sealed record TaskResource(
    string Guid,
    long? SequenceId,
    string? Name,
    string? Command,
    string? State,
    DateTimeOffset CreatedAt,
    TaskResult? Result) : Resource;

internal sealed record TaskResult(string? FailureReason);

/// <summary>One line of <c>GET /v3/apps/{guid}/logs</c> (NDJSON).</summary>
internal sealed record LogEntry(DateTimeOffset? Timestamp, string? SourceType, string? Instance, string? Stream, string? Message);

internal sealed record AuditEventResource(string Guid, DateTimeOffset CreatedAt, string Type, AuditActor? Actor, AuditTarget? Target) : Resource;

internal sealed record AuditActor(string? Guid, string? Type, string? Name);

internal sealed record AuditTarget(string? Guid, string? Type, string? Name);

internal sealed record ServiceBrokerResource(string Guid, string Name, string? Url, ServiceBrokerRelationships? Relationships) : Resource
{
    public string? SpaceGuid => Relationships?.Space?.Data?.Guid;
}

internal sealed record ServiceBrokerRelationships(ToOne? Space);

internal sealed record ServiceOfferingResource(
    string Guid,
    string Name,
    string? Description,
    bool? Available,
    IReadOnlyList<string>? Tags,
    string? DocumentationUrl,
    ServiceOfferingCatalog? BrokerCatalog,
    ServiceOfferingRelationships? Relationships) : Resource
{
    public string? BrokerGuid => Relationships?.ServiceBroker?.Data?.Guid;
}

internal sealed record ServiceOfferingCatalog(string? Id, ServiceOfferingFeatures? Features);

internal sealed record ServiceOfferingFeatures(bool? Bindable, bool? PlanUpdateable);

internal sealed record ServiceOfferingRelationships(ToOne? ServiceBroker);

internal sealed record ServicePlanResource(
    string Guid,
    string Name,
    string? Description,
    bool? Available,
    bool? Free,
    string? VisibilityType,
    ServicePlanCatalog? BrokerCatalog,
    ServicePlanRelationships? Relationships) : Resource
{
    public string? OfferingGuid => Relationships?.ServiceOffering?.Data?.Guid;
}

internal sealed record ServicePlanCatalog(string? Id, JsonElement? Metadata);

internal sealed record ServicePlanRelationships(ToOne? ServiceOffering);

/// <summary><c>GET /v3/service_plans/{guid}/visibility</c>.</summary>
internal sealed record ServicePlanVisibility(string? Type, IReadOnlyList<NamedGuid>? Organizations);

internal sealed record NamedGuid(string Guid, string? Name);

/// <summary>Where a broker operation on an instance or a binding stands (<c>last_operation</c>).</summary>
internal sealed record LastOperation(string? Type, string? State, string? Description, DateTimeOffset? CreatedAt, DateTimeOffset? UpdatedAt)
{
    public const string InProgress = "in progress";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    public bool IsInProgress => string.Equals(State, InProgress, StringComparison.OrdinalIgnoreCase);

    public bool IsFailed => string.Equals(State, Failed, StringComparison.OrdinalIgnoreCase);

    /// <summary>"create succeeded", as cf shows it.</summary>
    public string Status => $"{Type} {State}".Trim();
}

internal sealed record ServiceInstanceResource(
    string Guid,
    string Name,
    string Type,
    IReadOnlyList<string>? Tags,
    string? SyslogDrainUrl,
    string? RouteServiceUrl,
    string? DashboardUrl,
    LastOperation? LastOperation,
    ServiceInstanceRelationships? Relationships,
    NameOnly? ServicePlan,
    NameOnly? ServiceOffering,
    NameOnly? ServiceBroker,
    int? BoundAppCount) : Resource
{
    public const string Managed = "managed";
    public const string UserProvided = "user-provided";

    public bool IsManaged => Type == Managed;

    public string? PlanGuid => Relationships?.ServicePlan?.Data?.Guid;
}

internal sealed record ServiceInstanceRelationships(ToOne? Space, ToOne? ServicePlan);

internal sealed record NameOnly(string? Name);

internal sealed record ServiceCredentialBindingResource(
    string Guid,
    string? Name,
    string Type,
    LastOperation? LastOperation,
    ServiceCredentialBindingRelationships? Relationships) : Resource
{
    public const string App = "app";
    public const string Key = "key";

    public string? AppGuid => Relationships?.App?.Data?.Guid;

    public string? InstanceGuid => Relationships?.ServiceInstance?.Data?.Guid;
}

internal sealed record ServiceCredentialBindingRelationships(ToOne? App, ToOne? ServiceInstance);
