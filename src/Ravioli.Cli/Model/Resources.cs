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

internal sealed record AppResource(string Guid, string Name, string? State) : Resource;

internal sealed record AuditEventResource(string Guid, DateTimeOffset CreatedAt, string Type, AuditActor? Actor, AuditTarget? Target) : Resource;

internal sealed record AuditActor(string? Guid, string? Type, string? Name);

internal sealed record AuditTarget(string? Guid, string? Type, string? Name);
