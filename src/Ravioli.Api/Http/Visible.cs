using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Auth;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Http;

/// <summary>
/// Queries restricted to what the caller may see. Anything outside is "not found", so another
/// tenant's names and guids never leak through a 403.
/// </summary>
public static class Visible
{
    public static IQueryable<OrganizationEntity> Organizations(RavioliDb db, Caller caller)
    {
        if (caller.IsAdmin)
        {
            return db.Organizations;
        }
        var orgs = caller.OrganizationGuids.ToArray();
        return db.Organizations.Where(o => orgs.Contains(o.Guid));
    }

    public static IQueryable<SpaceEntity> Spaces(RavioliDb db, Caller caller)
    {
        if (caller.IsAdmin)
        {
            return db.Spaces;
        }
        var spaces = caller.SpaceGuids.ToArray();
        var orgs = caller.OrganizationsSeeingAllSpaces.ToArray();
        return db.Spaces.Where(s => spaces.Contains(s.Guid) || orgs.Contains(s.OrganizationGuid));
    }

    public static IQueryable<AppEntity> Apps(RavioliDb db, Caller caller)
    {
        if (caller.IsAdmin)
        {
            return db.Apps;
        }
        var spaces = caller.SpaceGuids.ToArray();
        var orgs = caller.OrganizationsSeeingAllSpaces.ToArray();
        return db.Apps.Where(a => spaces.Contains(a.SpaceGuid) || orgs.Contains(a.Space!.OrganizationGuid));
    }

    public static async Task<OrganizationEntity> OrganizationAsync(RavioliDb db, Caller caller, string guid, CancellationToken ct) =>
        await Organizations(db, caller).FirstOrDefaultAsync(o => o.Guid == guid, ct) ?? throw ApiProblem.NotFound("Organization", guid);

    public static async Task<SpaceEntity> SpaceAsync(RavioliDb db, Caller caller, string guid, CancellationToken ct) =>
        await Spaces(db, caller).FirstOrDefaultAsync(s => s.Guid == guid, ct) ?? throw ApiProblem.NotFound("Space", guid);

    public static async Task<AppEntity> AppAsync(RavioliDb db, Caller caller, string guid, CancellationToken ct) =>
        await Apps(db, caller).Include(a => a.Space).FirstOrDefaultAsync(a => a.Guid == guid, ct) ?? throw ApiProblem.NotFound("App", guid);

    /// <summary>For a relationship in a request body: a missing or invisible target is the field's fault (422), not the URL's (404).</summary>
    public static async Task<T> RelatedAsync<T>(IQueryable<T> visible, string? guid, string field, string what, CancellationToken ct) where T : ResourceEntity
    {
        if (string.IsNullOrWhiteSpace(guid))
        {
            throw ApiProblem.Invalid(field, "is required");
        }
        return await visible.FirstOrDefaultAsync(e => e.Guid == guid, ct)
            ?? throw ApiProblem.Invalid(field, $"{what} '{guid}' does not exist or you do not have access to it");
    }

    public static void Require(bool allowed, string message)
    {
        if (!allowed)
        {
            throw ApiProblem.Forbidden(message);
        }
    }
}

/// <summary>Request shapes shared by several areas: Cloud Foundry's to-one relationship.</summary>
public sealed record RelationshipData(string? Guid);

public sealed record Relationship(RelationshipData? Data);
