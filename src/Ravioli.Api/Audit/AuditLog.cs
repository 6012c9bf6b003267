using System.Text.Json;
using Ravioli.Api.Auth;
using Ravioli.Api.Http;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Audit;

public sealed record AuditTarget(string Type, string Guid, string Name);

/// <summary>
/// Records who did what to which resource. Events join the caller's unit of work, so they commit
/// together with the change they describe or not at all. Callers pass only non-secret fields.
/// </summary>
public static class AuditLog
{
    public static void Record(RavioliDb db, Caller actor, string type, AuditTarget target,
        string? organizationGuid, string? spaceGuid, object? data = null)
    {
        db.AuditEvents.Add(new AuditEventEntity
        {
            Type = type,
            ActorGuid = actor.UserGuid,
            ActorType = "user",
            ActorName = actor.Username,
            TargetGuid = target.Guid,
            TargetType = target.Type,
            TargetName = target.Name,
            OrganizationGuid = organizationGuid,
            SpaceGuid = spaceGuid,
            Data = JsonSerializer.Serialize(data ?? new { }, JsonBody.Options),
        });
    }
}
