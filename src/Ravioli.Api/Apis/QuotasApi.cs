using System.Text.Json.Nodes;
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

public sealed record QuotaApps(int? TotalMemoryInMb, int? PerProcessMemoryInMb, int? TotalInstances, int? TotalApps);

public sealed record QuotaServices(int? TotalServiceInstances);

public sealed record QuotaRoutes(int? TotalRoutes);

public sealed record QuotaResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string Name, QuotaApps Apps, QuotaServices Services, QuotaRoutes Routes,
    QuotaRelationships Relationships, IReadOnlyDictionary<string, Link> Links);

public sealed record QuotaRelationships(ToMany Organizations);

public sealed record QuotaRequest(string? Name, QuotaApps? Apps, QuotaServices? Services, QuotaRoutes? Routes);

public sealed record ApplyQuotaRequest(IReadOnlyList<RelationshipData>? Data);

public static class QuotasApi
{
    public static RouteGroupBuilder MapQuotasApi(this RouteGroupBuilder v3)
    {
        var quotas = v3.MapGroup("/organization_quotas").WithTags("Organization quotas");
        quotas.MapGet("/", ListAsync);
        quotas.MapPost("/", CreateAsync).Accepts<QuotaRequest>("application/json");
        quotas.MapGet("/{guid}", GetAsync);
        quotas.MapPatch("/{guid}", UpdateAsync).Accepts<QuotaRequest>("application/json");
        quotas.MapDelete("/{guid}", DeleteAsync);
        quotas.MapPost("/{guid}/relationships/organizations", ApplyAsync).Accepts<ApplyQuotaRequest>("application/json");
        return v3;
    }

    private static QuotaResource Present(HttpRequest request, OrganizationQuotaEntity q, IReadOnlyList<string> orgGuids) => new(
        q.Guid, q.CreatedAt, q.UpdatedAt, q.Name,
        new QuotaApps(q.TotalMemoryInMb, q.PerProcessMemoryInMb, q.TotalInstances, q.TotalApps),
        new QuotaServices(q.TotalServiceInstances),
        new QuotaRoutes(q.TotalRoutes),
        new QuotaRelationships(new ToMany([.. orgGuids.Select(g => new GuidRef(g))])),
        new Dictionary<string, Link> { ["self"] = Urls.To(request, $"/v3/organization_quotas/{q.Guid}") });

    private static IQueryable<OrganizationQuotaEntity> VisibleQuotas(RavioliDb db, Caller caller)
    {
        if (caller.IsAdmin)
        {
            return db.OrganizationQuotas;
        }
        var orgs = caller.OrganizationGuids.ToArray();
        return db.OrganizationQuotas.Where(q => db.Organizations.Any(o => o.QuotaGuid == q.Guid && orgs.Contains(o.Guid)));
    }

    private static async Task<QuotaResource> PresentAsync(HttpRequest request, RavioliDb db, Caller caller, OrganizationQuotaEntity q, CancellationToken ct)
    {
        var orgs = await Visible.Organizations(db, caller).Where(o => o.QuotaGuid == q.Guid).Select(o => o.Guid).ToListAsync(ct);
        return Present(request, q, orgs);
    }

    private static async Task<Ok<Page<QuotaResource>>> ListAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var query = ListQuery.Parse(request, "names", "guids", "organization_guids");
        var source = VisibleQuotas(db, caller).AsNoTracking();
        source = source.WhereIn(query, "names", q => q.Name);
        source = source.WhereIn(query, "guids", q => q.Guid);
        if (query.Filter("organization_guids") is { } orgs)
        {
            source = source.Where(q => db.Organizations.Any(o => o.QuotaGuid == q.Guid && orgs.Contains(o.Guid)));
        }
        var page = await Lists.PageAsync(source, query, request, q => q, ct);
        var quotaGuids = page.Resources.Select(q => q.Guid).ToArray();
        var applied = await Visible.Organizations(db, caller).Where(o => o.QuotaGuid != null && quotaGuids.Contains(o.QuotaGuid))
            .Select(o => new { o.Guid, o.QuotaGuid }).ToListAsync(ct);
        return TypedResults.Ok(new Page<QuotaResource>(page.Pagination,
            [.. page.Resources.Select(q => Present(request, q, [.. applied.Where(a => a.QuotaGuid == q.Guid).Select(a => a.Guid)]))]));
    }

    private static async Task<Ok<QuotaResource>> GetAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var quota = await VisibleQuotas(db, caller).AsNoTracking().FirstOrDefaultAsync(q => q.Guid == guid, ct) ?? throw ApiProblem.NotFound("Organization quota", guid);
        return TypedResults.Ok(await PresentAsync(request, db, caller, quota, ct));
    }

    private static async Task<Created<QuotaResource>> CreateAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<QuotaRequest>(request);
        Visible.Require(caller.IsAdmin, "Only platform admins can create quotas.");
        var errors = new FieldErrors();
        errors.Check("name", Names.CheckResourceName(body.Name));
        CheckLimits(body, errors);
        errors.ThrowIfAny();
        var message = $"a quota named '{body.Name}' already exists";
        if (await db.OrganizationQuotas.AnyAsync(q => q.Name == body.Name, ct))
        {
            throw ApiProblem.Invalid("name", message);
        }
        var quota = new OrganizationQuotaEntity
        {
            Name = body.Name!,
            TotalMemoryInMb = body.Apps?.TotalMemoryInMb,
            PerProcessMemoryInMb = body.Apps?.PerProcessMemoryInMb,
            TotalInstances = body.Apps?.TotalInstances,
            TotalApps = body.Apps?.TotalApps,
            TotalServiceInstances = body.Services?.TotalServiceInstances,
            TotalRoutes = body.Routes?.TotalRoutes,
        };
        db.OrganizationQuotas.Add(quota);
        AuditLog.Record(db, caller, "audit.organization_quota.create", new("organization_quota", quota.Guid, quota.Name), null, null, body);
        await OrganizationsApi.SaveUniqueAsync(db, "name", message, ct);
        return TypedResults.Created($"/v3/organization_quotas/{quota.Guid}", Present(request, quota, []));
    }

    private static async Task<Ok<QuotaResource>> UpdateAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var quota = await VisibleQuotas(db, caller).FirstOrDefaultAsync(q => q.Guid == guid, ct) ?? throw ApiProblem.NotFound("Organization quota", guid);
        var bytes = await JsonBody.ReadBytesAsync(request, JsonBody.DefaultLimit);
        var body = JsonBody.Parse<QuotaRequest>(bytes);
        Visible.Require(caller.IsAdmin, "Only platform admins can change quotas.");
        var errors = new FieldErrors();
        if (body.Name is not null)
        {
            errors.Check("name", Names.CheckResourceName(body.Name));
        }
        CheckLimits(body, errors);
        errors.ThrowIfAny();
        // In a PATCH, null means "unlimited" and an absent field means "unchanged", so look at what was sent.
        var sent = JsonNode.Parse(bytes)!.AsObject();
        bool Sent(string section, string field) => sent[section] is JsonObject o && o.ContainsKey(field);
        quota.Name = body.Name ?? quota.Name;
        if (Sent("apps", "total_memory_in_mb")) { quota.TotalMemoryInMb = body.Apps!.TotalMemoryInMb; }
        if (Sent("apps", "per_process_memory_in_mb")) { quota.PerProcessMemoryInMb = body.Apps!.PerProcessMemoryInMb; }
        if (Sent("apps", "total_instances")) { quota.TotalInstances = body.Apps!.TotalInstances; }
        if (Sent("apps", "total_apps")) { quota.TotalApps = body.Apps!.TotalApps; }
        if (Sent("services", "total_service_instances")) { quota.TotalServiceInstances = body.Services!.TotalServiceInstances; }
        if (Sent("routes", "total_routes")) { quota.TotalRoutes = body.Routes!.TotalRoutes; }
        AuditLog.Record(db, caller, "audit.organization_quota.update", new("organization_quota", quota.Guid, quota.Name), null, null, body);
        await OrganizationsApi.SaveUniqueAsync(db, "name", $"a quota named '{body.Name}' already exists", ct);
        return TypedResults.Ok(await PresentAsync(request, db, caller, quota, ct));
    }

    private static async Task<NoContent> DeleteAsync(string guid, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var quota = await VisibleQuotas(db, caller).FirstOrDefaultAsync(q => q.Guid == guid, ct) ?? throw ApiProblem.NotFound("Organization quota", guid);
        Visible.Require(caller.IsAdmin, "Only platform admins can delete quotas.");
        var users = await db.Organizations.Where(o => o.QuotaGuid == quota.Guid).Select(o => o.Name).Take(5).ToListAsync(ct);
        if (users.Count > 0)
        {
            throw ApiProblem.Unprocessable($"Quota '{quota.Name}' is still applied to: {string.Join(", ", users)}. Apply another quota to them first.");
        }
        db.OrganizationQuotas.Remove(quota);
        AuditLog.Record(db, caller, "audit.organization_quota.delete", new("organization_quota", quota.Guid, quota.Name), null, null);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<ToMany>> ApplyAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var quota = await VisibleQuotas(db, caller).FirstOrDefaultAsync(q => q.Guid == guid, ct) ?? throw ApiProblem.NotFound("Organization quota", guid);
        var body = await JsonBody.ReadAsync<ApplyQuotaRequest>(request);
        Visible.Require(caller.IsAdmin, "Only platform admins can apply quotas.");
        if (body.Data is not { Count: > 0 } data)
        {
            throw ApiProblem.Invalid("data", "list at least one organization as {\"guid\": …}");
        }
        for (var i = 0; i < data.Count; i++)
        {
            var org = await Visible.RelatedAsync(db.Organizations, data[i].Guid, $"data[{i}].guid", "organization", ct);
            org.QuotaGuid = quota.Guid;
            AuditLog.Record(db, caller, "audit.organization.update", new("organization", org.Guid, org.Name), org.Guid, null, new { quota = quota.Name });
        }
        await db.SaveChangesAsync(ct);
        var orgs = await db.Organizations.Where(o => o.QuotaGuid == quota.Guid).Select(o => new GuidRef(o.Guid)).ToListAsync(ct);
        return TypedResults.Ok(new ToMany(orgs));
    }

    private static void CheckLimits(QuotaRequest body, FieldErrors errors)
    {
        void NonNegative(string field, int? value)
        {
            if (value < 0)
            {
                errors.Add(field, "must be 0 or more (null means unlimited)");
            }
        }
        NonNegative("apps.total_memory_in_mb", body.Apps?.TotalMemoryInMb);
        NonNegative("apps.per_process_memory_in_mb", body.Apps?.PerProcessMemoryInMb);
        NonNegative("apps.total_instances", body.Apps?.TotalInstances);
        NonNegative("apps.total_apps", body.Apps?.TotalApps);
        NonNegative("services.total_service_instances", body.Services?.TotalServiceInstances);
        NonNegative("routes.total_routes", body.Routes?.TotalRoutes);
    }
}
