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

public sealed record OrganizationResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string Name, bool Suspended,
    OrganizationRelationships Relationships, IReadOnlyDictionary<string, Link> Links);

public sealed record OrganizationRelationships(ToOne Quota);

public sealed record CreateOrganizationRequest(string? Name, bool? Suspended);

public sealed record UpdateOrganizationRequest(string? Name, bool? Suspended);

public static class OrganizationsApi
{
    public const string DefaultQuotaName = "default";

    public static RouteGroupBuilder MapOrganizationsApi(this RouteGroupBuilder v3)
    {
        var orgs = v3.MapGroup("/organizations").WithTags("Organizations");
        orgs.MapGet("/", ListAsync);
        orgs.MapPost("/", CreateAsync).Accepts<CreateOrganizationRequest>("application/json");
        orgs.MapGet("/{guid}", GetAsync);
        orgs.MapPatch("/{guid}", UpdateAsync).Accepts<UpdateOrganizationRequest>("application/json");
        orgs.MapDelete("/{guid}", DeleteAsync);
        orgs.MapGet("/{guid}/users", UsersAsync);
        return v3;
    }

    internal static OrganizationResource Present(HttpRequest request, OrganizationEntity o) => new(
        o.Guid, o.CreatedAt, o.UpdatedAt, o.Name, o.Suspended,
        new OrganizationRelationships(ToOne.Of(o.QuotaGuid)),
        new Dictionary<string, Link>
        {
            ["self"] = Urls.To(request, $"/v3/organizations/{o.Guid}"),
            ["spaces"] = Urls.To(request, $"/v3/spaces?organization_guids={o.Guid}"),
            ["quota"] = Urls.To(request, $"/v3/organization_quotas/{o.QuotaGuid}"),
        });

    private static async Task<Ok<Page<OrganizationResource>>> ListAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var query = ListQuery.Parse(request, "names", "guids");
        var source = Visible.Organizations(db, caller).AsNoTracking();
        source = source.WhereIn(query, "names", o => o.Name);
        source = source.WhereIn(query, "guids", o => o.Guid);
        return TypedResults.Ok(await Lists.PageAsync(source, query, request, o => Present(request, o), ct));
    }

    private static async Task<Created<OrganizationResource>> CreateAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<CreateOrganizationRequest>(request);
        Visible.Require(caller.IsAdmin, "Only platform admins can create organizations. Ask an admin, or use an org you already belong to ('rav orgs').");
        var errors = new FieldErrors();
        errors.Check("name", Names.CheckResourceName(body.Name));
        errors.ThrowIfAny();
        if (await db.Organizations.AnyAsync(o => o.Name == body.Name, ct))
        {
            throw ApiProblem.Invalid("name", $"an organization named '{body.Name}' already exists");
        }
        var quota = await db.OrganizationQuotas.FirstOrDefaultAsync(q => q.Name == DefaultQuotaName, ct);
        var org = new OrganizationEntity { Name = body.Name!, Suspended = body.Suspended ?? false, QuotaGuid = quota?.Guid };
        db.Organizations.Add(org);
        AuditLog.Record(db, caller, "audit.organization.create", new("organization", org.Guid, org.Name), org.Guid, null, new { name = org.Name });
        await SaveUniqueAsync(db, "name", $"an organization named '{body.Name}' already exists", ct);
        return TypedResults.Created($"/v3/organizations/{org.Guid}", Present(request, org));
    }

    private static async Task<Ok<OrganizationResource>> GetAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct) =>
        TypedResults.Ok(Present(request, await Visible.OrganizationAsync(db, caller, guid, ct)));

    private static async Task<Ok<OrganizationResource>> UpdateAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var org = await Visible.OrganizationAsync(db, caller, guid, ct);
        var body = await JsonBody.ReadAsync<UpdateOrganizationRequest>(request);
        Visible.Require(caller.IsOrganizationManager(org.Guid), $"You need the organization_manager role in '{org.Name}' to change it.");
        Visible.Require(body.Suspended is null || caller.IsAdmin, "Only platform admins can suspend or unsuspend an organization.");
        var errors = new FieldErrors();
        if (body.Name is not null)
        {
            errors.Check("name", Names.CheckResourceName(body.Name));
        }
        errors.ThrowIfAny();
        if (body.Name is not null && body.Name != org.Name && await db.Organizations.AnyAsync(o => o.Name == body.Name, ct))
        {
            throw ApiProblem.Invalid("name", $"an organization named '{body.Name}' already exists");
        }
        org.Name = body.Name ?? org.Name;
        org.Suspended = body.Suspended ?? org.Suspended;
        AuditLog.Record(db, caller, "audit.organization.update", new("organization", org.Guid, org.Name), org.Guid, null, new { name = body.Name, suspended = body.Suspended });
        await SaveUniqueAsync(db, "name", $"an organization named '{body.Name}' already exists", ct);
        return TypedResults.Ok(Present(request, org));
    }

    private static async Task<NoContent> DeleteAsync(string guid, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var org = await Visible.OrganizationAsync(db, caller, guid, ct);
        Visible.Require(caller.IsAdmin, "Only platform admins can delete organizations.");
        // Spaces, apps and roles go with it through the database's ON DELETE CASCADE, in one statement.
        await ServiceGuards.RefuseWhileServicesAsync(db, s => s.OrganizationGuid == org.Guid, $"organization '{org.Name}'", ct);
        db.Organizations.Remove(org);
        AuditLog.Record(db, caller, "audit.organization.delete-request", new("organization", org.Guid, org.Name), org.Guid, null, new { recursive = true });
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<Page<UserResource>>> UsersAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var org = await Visible.OrganizationAsync(db, caller, guid, ct);
        var query = ListQuery.Parse(request);
        var users = db.Users.AsNoTracking().Where(u => db.Roles.Any(r => r.UserGuid == u.Guid && r.OrganizationGuid == org.Guid));
        return TypedResults.Ok(await Lists.PageAsync(users, query, request, u => UsersApi.Present(request, u), ct));
    }

    /// <summary>Saves; a unique index that fires because of a concurrent twin becomes the same 422 the pre-check gives.</summary>
    internal static async Task SaveUniqueAsync(RavioliDb db, string field, string message, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (StoreSetup.IsUniqueViolation(e))
        {
            throw ApiProblem.Invalid(field, message);
        }
    }
}
