using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Auth;
using Ravioli.Api.Http;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Apis;

public sealed record AuditActor(string Guid, string Type, string Name);

public sealed record AuditEventResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string Type, AuditActor Actor, AuditActor Target,
    JsonElement Data, GuidRef? Space, GuidRef? Organization, IReadOnlyDictionary<string, Link> Links);

public static class AuditEventsApi
{
    public static RouteGroupBuilder MapAuditEventsApi(this RouteGroupBuilder v3)
    {
        var events = v3.MapGroup("/audit_events").WithTags("Audit events");
        events.MapGet("/", ListAsync);
        events.MapGet("/{guid}", GetAsync);
        return v3;
    }

    private static AuditEventResource Present(HttpRequest request, AuditEventEntity e) => new(
        e.Guid, e.CreatedAt, e.UpdatedAt, e.Type,
        new AuditActor(e.ActorGuid, e.ActorType, e.ActorName),
        new AuditActor(e.TargetGuid, e.TargetType, e.TargetName),
        JsonDocument.Parse(e.Data).RootElement.Clone(),
        e.SpaceGuid is null ? null : new GuidRef(e.SpaceGuid),
        e.OrganizationGuid is null ? null : new GuidRef(e.OrganizationGuid),
        new Dictionary<string, Link> { ["self"] = Urls.To(request, $"/v3/audit_events/{e.Guid}") });

    /// <summary>Org managers and auditors see their org's events; space roles see their space's.</summary>
    private static IQueryable<AuditEventEntity> VisibleEvents(RavioliDb db, Caller caller)
    {
        if (caller.IsAdmin)
        {
            return db.AuditEvents;
        }
        var orgs = caller.OrganizationsSeeingAllSpaces.ToArray();
        var spaces = caller.SpaceGuids.ToArray();
        return db.AuditEvents.Where(e => (e.OrganizationGuid != null && orgs.Contains(e.OrganizationGuid))
            || (e.SpaceGuid != null && spaces.Contains(e.SpaceGuid)));
    }

    private static async Task<Ok<Page<AuditEventResource>>> ListAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var query = ListQuery.Parse(request, "types", "target_guids", "organization_guids", "space_guids");
        var source = VisibleEvents(db, caller).AsNoTracking();
        source = source.WhereIn(query, "types", e => e.Type);
        source = source.WhereIn(query, "target_guids", e => e.TargetGuid);
        if (query.Filter("organization_guids") is { } orgs)
        {
            source = source.Where(e => e.OrganizationGuid != null && orgs.Contains(e.OrganizationGuid));
        }
        if (query.Filter("space_guids") is { } spaces)
        {
            source = source.Where(e => e.SpaceGuid != null && spaces.Contains(e.SpaceGuid));
        }
        return TypedResults.Ok(await Lists.PageAsync(source, query, request, e => Present(request, e), ct));
    }

    private static async Task<Ok<AuditEventResource>> GetAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct) =>
        TypedResults.Ok(Present(request, await VisibleEvents(db, caller).AsNoTracking().FirstOrDefaultAsync(e => e.Guid == guid, ct)
            ?? throw ApiProblem.NotFound("Audit event", guid)));
}
