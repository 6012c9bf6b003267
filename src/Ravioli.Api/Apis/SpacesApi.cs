using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Audit;
using Ravioli.Api.Auth;
using Ravioli.Api.Brokering;
using Ravioli.Api.Http;
using Ravioli.Core.Tenancy;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Apis;

public sealed record SpaceResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string Name,
    SpaceRelationships Relationships, IReadOnlyDictionary<string, Link> Links);

public sealed record SpaceRelationships(ToOne Organization);

public sealed record SpaceRelationshipsRequest(Relationship? Organization);

public sealed record CreateSpaceRequest(string? Name, SpaceRelationshipsRequest? Relationships);

public sealed record UpdateSpaceRequest(string? Name);

public static class SpacesApi
{
    public static RouteGroupBuilder MapSpacesApi(this RouteGroupBuilder v3)
    {
        var spaces = v3.MapGroup("/spaces").WithTags("Spaces");
        spaces.MapGet("/", ListAsync);
        spaces.MapPost("/", CreateAsync).Accepts<CreateSpaceRequest>("application/json");
        spaces.MapGet("/{guid}", GetAsync);
        spaces.MapPatch("/{guid}", UpdateAsync).Accepts<UpdateSpaceRequest>("application/json");
        spaces.MapDelete("/{guid}", DeleteAsync);
        spaces.MapGet("/{guid}/users", UsersAsync);
        return v3;
    }

    internal static SpaceResource Present(HttpRequest request, SpaceEntity s) => new(
        s.Guid, s.CreatedAt, s.UpdatedAt, s.Name,
        new SpaceRelationships(ToOne.Of(s.OrganizationGuid)),
        new Dictionary<string, Link>
        {
            ["self"] = Urls.To(request, $"/v3/spaces/{s.Guid}"),
            ["organization"] = Urls.To(request, $"/v3/organizations/{s.OrganizationGuid}"),
            ["apps"] = Urls.To(request, $"/v3/apps?space_guids={s.Guid}"),
        });

    private static async Task<Ok<Page<SpaceResource>>> ListAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var query = ListQuery.Parse(request, "names", "guids", "organization_guids");
        var source = Visible.Spaces(db, caller).AsNoTracking();
        source = source.WhereIn(query, "names", s => s.Name);
        source = source.WhereIn(query, "guids", s => s.Guid);
        source = source.WhereIn(query, "organization_guids", s => s.OrganizationGuid);
        return TypedResults.Ok(await Lists.PageAsync(source, query, request, s => Present(request, s), ct));
    }

    private static async Task<Created<SpaceResource>> CreateAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<CreateSpaceRequest>(request);
        var errors = new FieldErrors();
        errors.Check("name", Names.CheckResourceName(body.Name));
        errors.ThrowIfAny();
        var org = await Visible.RelatedAsync(Visible.Organizations(db, caller), body.Relationships?.Organization?.Data?.Guid,
            "relationships.organization.data.guid", "organization", ct);
        Visible.Require(caller.IsOrganizationManager(org.Guid), $"You need the organization_manager role in '{org.Name}' to create spaces.");
        var message = $"a space named '{body.Name}' already exists in organization '{org.Name}'";
        if (await db.Spaces.AnyAsync(s => s.OrganizationGuid == org.Guid && s.Name == body.Name, ct))
        {
            throw ApiProblem.Invalid("name", message);
        }
        var space = new SpaceEntity { Name = body.Name!, OrganizationGuid = org.Guid };
        db.Spaces.Add(space);
        AuditLog.Record(db, caller, "audit.space.create", new("space", space.Guid, space.Name), org.Guid, space.Guid, new { name = space.Name });
        await OrganizationsApi.SaveUniqueAsync(db, "name", message, ct);
        return TypedResults.Created($"/v3/spaces/{space.Guid}", Present(request, space));
    }

    private static async Task<Ok<SpaceResource>> GetAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct) =>
        TypedResults.Ok(Present(request, await Visible.SpaceAsync(db, caller, guid, ct)));

    private static async Task<Ok<SpaceResource>> UpdateAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var space = await Visible.SpaceAsync(db, caller, guid, ct);
        var body = await JsonBody.ReadAsync<UpdateSpaceRequest>(request);
        Visible.Require(caller.CanManageSpace(space.Guid, space.OrganizationGuid), $"You need the space_manager role in '{space.Name}' (or organization_manager) to change it.");
        if (body.Name is not null)
        {
            var errors = new FieldErrors();
            errors.Check("name", Names.CheckResourceName(body.Name));
            errors.ThrowIfAny();
        }
        var message = $"a space named '{body.Name}' already exists in this organization";
        if (body.Name is not null && body.Name != space.Name && await db.Spaces.AnyAsync(s => s.OrganizationGuid == space.OrganizationGuid && s.Name == body.Name, ct))
        {
            throw ApiProblem.Invalid("name", message);
        }
        space.Name = body.Name ?? space.Name;
        AuditLog.Record(db, caller, "audit.space.update", new("space", space.Guid, space.Name), space.OrganizationGuid, space.Guid, new { name = body.Name });
        await OrganizationsApi.SaveUniqueAsync(db, "name", message, ct);
        return TypedResults.Ok(Present(request, space));
    }

    private static async Task<NoContent> DeleteAsync(string guid, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var space = await Visible.SpaceAsync(db, caller, guid, ct);
        Visible.Require(caller.IsOrganizationManager(space.OrganizationGuid), $"You need the organization_manager role to delete space '{space.Name}'.");
        await ServiceGuards.RefuseWhileServicesAsync(db, s => s.Guid == space.Guid, $"space '{space.Name}'", ct);
        db.Spaces.Remove(space);
        AuditLog.Record(db, caller, "audit.space.delete-request", new("space", space.Guid, space.Name), space.OrganizationGuid, space.Guid, new { recursive = true });
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<Page<UserResource>>> UsersAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var space = await Visible.SpaceAsync(db, caller, guid, ct);
        var query = ListQuery.Parse(request);
        var users = db.Users.AsNoTracking().Where(u => db.Roles.Any(r => r.UserGuid == u.Guid && r.SpaceGuid == space.Guid));
        return TypedResults.Ok(await Lists.PageAsync(users, query, request, u => UsersApi.Present(request, u), ct));
    }
}
