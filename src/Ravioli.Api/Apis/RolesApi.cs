using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Audit;
using Ravioli.Api.Auth;
using Ravioli.Api.Http;
using Ravioli.Core.Tenancy;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Apis;

public sealed record RoleResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string Type,
    RoleRelationships Relationships, IReadOnlyDictionary<string, Link> Links);

public sealed record RoleRelationships(ToOne User, ToOne Organization, ToOne Space);

public sealed record UserRelationshipData(string? Guid, string? Username, string? Origin);

public sealed record UserRelationship(UserRelationshipData? Data);

public sealed record RoleRelationshipsRequest(UserRelationship? User, Relationship? Organization, Relationship? Space);

public sealed record CreateRoleRequest(string? Type, RoleRelationshipsRequest? Relationships);

public static class RolesApi
{
    public static RouteGroupBuilder MapRolesApi(this RouteGroupBuilder v3)
    {
        var roles = v3.MapGroup("/roles").WithTags("Roles");
        roles.MapGet("/", ListAsync);
        roles.MapPost("/", CreateAsync).Accepts<CreateRoleRequest>("application/json");
        roles.MapGet("/{guid}", GetAsync);
        roles.MapDelete("/{guid}", DeleteAsync);
        return v3;
    }

    private static RoleResource Present(HttpRequest request, RoleEntity r) => new(
        r.Guid, r.CreatedAt, r.UpdatedAt, r.Type,
        new RoleRelationships(ToOne.Of(r.UserGuid), ToOne.Of(r.SpaceGuid is null ? r.OrganizationGuid : null), ToOne.Of(r.SpaceGuid)),
        new Dictionary<string, Link>
        {
            ["self"] = Urls.To(request, $"/v3/roles/{r.Guid}"),
            ["user"] = Urls.To(request, $"/v3/users/{r.UserGuid}"),
            [r.SpaceGuid is null ? "organization" : "space"] = Urls.To(request, r.SpaceGuid is null ? $"/v3/organizations/{r.OrganizationGuid}" : $"/v3/spaces/{r.SpaceGuid}"),
        });

    private static IQueryable<RoleEntity> VisibleRoles(RavioliDb db, Caller caller)
    {
        if (caller.IsAdmin)
        {
            return db.Roles;
        }
        var me = caller.UserGuid;
        var orgs = caller.OrganizationGuids.ToArray();
        var spaces = caller.SpaceGuids.ToArray();
        var allSpaces = caller.OrganizationsSeeingAllSpaces.ToArray();
        return db.Roles.Where(r => r.UserGuid == me
            || (r.SpaceGuid == null && orgs.Contains(r.OrganizationGuid))
            || (r.SpaceGuid != null && (spaces.Contains(r.SpaceGuid) || allSpaces.Contains(r.OrganizationGuid))));
    }

    private static async Task<Ok<Page<RoleResource>>> ListAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var query = ListQuery.Parse(request, "types", "user_guids", "organization_guids", "space_guids", "guids", "include");
        var source = VisibleRoles(db, caller).AsNoTracking();
        source = source.WhereIn(query, "types", r => r.Type);
        source = source.WhereIn(query, "user_guids", r => r.UserGuid);
        source = source.WhereIn(query, "organization_guids", r => r.OrganizationGuid);
        if (query.Filter("space_guids") is { } spaces)
        {
            source = source.Where(r => r.SpaceGuid != null && spaces.Contains(r.SpaceGuid));
        }
        source = source.WhereIn(query, "guids", r => r.Guid);
        var include = query.Filter("include") ?? [];
        if (include.Any(i => i != "user"))
        {
            throw ApiProblem.Invalid("include", "only 'user' can be included");
        }
        var page = await Lists.PageAsync(source, query, request, r => Present(request, r), ct);
        if (include.Contains("user"))
        {
            var userGuids = page.Resources.Select(r => r.Relationships.User.Data!.Guid).Distinct().ToArray();
            var included = await db.Users.AsNoTracking().Where(u => userGuids.Contains(u.Guid)).ToListAsync(ct);
            page = page with { Included = new { users = included.Select(u => UsersApi.Present(request, u)).ToList() } };
        }
        return TypedResults.Ok(page);
    }

    private static async Task<Ok<RoleResource>> GetAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct) =>
        TypedResults.Ok(Present(request, await VisibleRoles(db, caller).AsNoTracking().FirstOrDefaultAsync(r => r.Guid == guid, ct)
            ?? throw ApiProblem.NotFound("Role", guid)));

    private static async Task<Created<RoleResource>> CreateAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<CreateRoleRequest>(request);
        var errors = new FieldErrors();
        var type = body.Type;
        if (type is null || !RoleTypes.All.Contains(type))
        {
            errors.Add("type", $"must be one of {string.Join(", ", RoleTypes.All)}");
        }
        var relationships = body.Relationships;
        var userRef = relationships?.User?.Data;
        if (userRef is null || (userRef.Guid is null && userRef.Username is null))
        {
            errors.Add("relationships.user.data", "name the user by guid or username");
        }
        if (userRef?.Origin is not null and not "ravioli")
        {
            errors.Add("relationships.user.data.origin", "only the 'ravioli' origin exists");
        }
        if (type is not null && RoleTypes.IsOrganizationRole(type) && (relationships?.Organization is null || relationships.Space is not null))
        {
            errors.Add("relationships", "an organization role names relationships.organization and no space");
        }
        if (type is not null && RoleTypes.IsSpaceRole(type) && (relationships?.Space is null || relationships.Organization is not null))
        {
            errors.Add("relationships", "a space role names relationships.space and no organization");
        }
        errors.ThrowIfAny();

        var user = await FindUserAsync(db, userRef!, ct);
        string orgGuid;
        string? spaceGuid = null;
        if (RoleTypes.IsOrganizationRole(type!))
        {
            var org = await Visible.RelatedAsync(Visible.Organizations(db, caller), relationships!.Organization!.Data?.Guid,
                "relationships.organization.data.guid", "organization", ct);
            Visible.Require(caller.IsOrganizationManager(org.Guid), $"You need the organization_manager role in '{org.Name}' to assign organization roles.");
            orgGuid = org.Guid;
        }
        else
        {
            var space = await Visible.RelatedAsync(Visible.Spaces(db, caller), relationships!.Space!.Data?.Guid,
                "relationships.space.data.guid", "space", ct);
            Visible.Require(caller.CanManageSpace(space.Guid, space.OrganizationGuid), $"You need the space_manager role in '{space.Name}' (or organization_manager) to assign space roles.");
            orgGuid = space.OrganizationGuid;
            spaceGuid = space.Guid;
            if (!await db.Roles.AnyAsync(r => r.UserGuid == user.Guid && r.OrganizationGuid == orgGuid && r.Type == RoleTypes.OrganizationUser, ct))
            {
                throw ApiProblem.Unprocessable($"User '{user.Username}' must be a member of the space's organization first: create an organization_user role for them ('rav set-space-role' does this for you).");
            }
        }
        var scope = spaceGuid ?? orgGuid;
        if (await db.Roles.AnyAsync(r => r.UserGuid == user.Guid && r.Type == type && r.ScopeGuid == scope, ct))
        {
            throw ApiProblem.Unprocessable($"User '{user.Username}' already has the {type} role here.");
        }
        var role = new RoleEntity { Type = type!, UserGuid = user.Guid, OrganizationGuid = orgGuid, SpaceGuid = spaceGuid, ScopeGuid = scope };
        db.Roles.Add(role);
        // An org role implies membership, as in Cloud Foundry.
        if (type is RoleTypes.OrganizationManager or RoleTypes.OrganizationAuditor
            && !await db.Roles.AnyAsync(r => r.UserGuid == user.Guid && r.OrganizationGuid == orgGuid && r.Type == RoleTypes.OrganizationUser, ct))
        {
            db.Roles.Add(new RoleEntity { Type = RoleTypes.OrganizationUser, UserGuid = user.Guid, OrganizationGuid = orgGuid, ScopeGuid = orgGuid });
        }
        AuditLog.Record(db, caller, $"audit.user.{type}_add", new("user", user.Guid, user.Username), orgGuid, spaceGuid, new { role_guid = role.Guid, type });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (StoreSetup.IsUniqueViolation(e))
        {
            throw ApiProblem.Unprocessable($"User '{user.Username}' already has the {type} role here.");
        }
        return TypedResults.Created($"/v3/roles/{role.Guid}", Present(request, role));
    }

    private static async Task<UserEntity> FindUserAsync(RavioliDb db, UserRelationshipData reference, CancellationToken ct)
    {
        if (reference.Guid is { } guid)
        {
            return await db.Users.FirstOrDefaultAsync(u => u.Guid == guid, ct)
                ?? throw ApiProblem.Invalid("relationships.user.data.guid", $"user '{guid}' does not exist");
        }
        var key = Names.UsernameKey(reference.Username!);
        return await db.Users.FirstOrDefaultAsync(u => u.UsernameKey == key, ct)
            ?? throw ApiProblem.Invalid("relationships.user.data.username", $"user '{reference.Username}' does not exist; an admin creates users ('rav create-user')");
    }

    private static async Task<NoContent> DeleteAsync(string guid, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var role = await VisibleRoles(db, caller).FirstOrDefaultAsync(r => r.Guid == guid, ct) ?? throw ApiProblem.NotFound("Role", guid);
        if (role.SpaceGuid is null)
        {
            Visible.Require(caller.IsOrganizationManager(role.OrganizationGuid), "You need the organization_manager role to remove organization roles.");
            if (role.Type == RoleTypes.OrganizationUser
                && await db.Roles.AnyAsync(r => r.UserGuid == role.UserGuid && r.OrganizationGuid == role.OrganizationGuid && r.Guid != role.Guid, ct))
            {
                throw ApiProblem.Unprocessable("The user still holds other roles in this organization or its spaces; remove those first.");
            }
        }
        else
        {
            Visible.Require(caller.CanManageSpace(role.SpaceGuid, role.OrganizationGuid), "You need the space_manager role (or organization_manager) to remove space roles.");
        }
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Guid == role.UserGuid, ct);
        db.Roles.Remove(role);
        AuditLog.Record(db, caller, $"audit.user.{role.Type}_remove", new("user", user.Guid, user.Username), role.OrganizationGuid, role.SpaceGuid, new { role_guid = role.Guid, type = role.Type });
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }
}
