using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Audit;
using Ravioli.Api.Auth;
using Ravioli.Api.Brokering;
using Ravioli.Api.Http;
using Ravioli.Api.Secrets;
using Ravioli.Core.Tenancy;
using Ravioli.Services.Osb;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Apis;

public sealed record ServiceBrokerResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string Name, string Url, ServiceBrokerRelationships Relationships,
    IReadOnlyDictionary<string, Link> Links);

public sealed record ServiceBrokerRelationships(ToOne Space);

public sealed record BrokerCredentialsRequest(string? Username, string? Password);

public sealed record BrokerAuthenticationRequest(string? Type, BrokerCredentialsRequest? Credentials);

public sealed record ServiceBrokerRelationshipsRequest(Relationship? Space);

public sealed record CreateServiceBrokerRequest(string? Name, string? Url, BrokerAuthenticationRequest? Authentication, ServiceBrokerRelationshipsRequest? Relationships);

public sealed record UpdateServiceBrokerRequest(string? Name, string? Url, BrokerAuthenticationRequest? Authentication);

public sealed record ServiceOfferingFeatures(bool Bindable, bool PlanUpdateable, bool InstancesRetrievable, bool BindingsRetrievable, bool AllowContextUpdates);

public sealed record ServiceOfferingCatalog(string Id, JsonObject? Metadata, ServiceOfferingFeatures Features);

public sealed record ServiceOfferingRelationships(ToOne ServiceBroker);

public sealed record ServiceOfferingResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string Name, string Description, bool Available, IReadOnlyList<string> Tags,
    IReadOnlyList<string> Requires, string? DocumentationUrl, ServiceOfferingCatalog BrokerCatalog, ServiceOfferingRelationships Relationships,
    IReadOnlyDictionary<string, Link> Links);

public sealed record ServicePlanFeatures(bool Bindable, bool PlanUpdateable);

public sealed record ServicePlanCatalog(string Id, JsonObject? Metadata, int? MaximumPollingDuration, ServicePlanFeatures Features);

public sealed record ServicePlanRelationships(ToOne ServiceOffering);

public sealed record ServicePlanResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string Name, string Description, bool Available, bool Free, string VisibilityType,
    ServicePlanCatalog BrokerCatalog, JsonObject? Schemas, JsonObject? MaintenanceInfo, ServicePlanRelationships Relationships,
    IReadOnlyDictionary<string, Link> Links);

public sealed record VisibilityOrganization(string Guid, string? Name);

public sealed record PlanVisibilityResource(string Type, IReadOnlyList<VisibilityOrganization> Organizations);

public sealed record VisibilityOrganizationRequest(string? Guid);

public sealed record PlanVisibilityRequest(string? Type, IReadOnlyList<VisibilityOrganizationRequest>? Organizations);

/// <summary>Service brokers, their offerings and plans, and who may use which plan (Cloud Foundry's v3 shapes).</summary>
public static class ServiceBrokersApi
{
    public static RouteGroupBuilder MapServiceBrokersApi(this RouteGroupBuilder v3)
    {
        var brokers = v3.MapGroup("/service_brokers").WithTags("Service brokers");
        brokers.MapGet("/", ListBrokersAsync);
        brokers.MapPost("/", CreateBrokerAsync).Accepts<CreateServiceBrokerRequest>("application/json");
        brokers.MapGet("/{guid}", GetBrokerAsync);
        brokers.MapPatch("/{guid}", UpdateBrokerAsync).Accepts<UpdateServiceBrokerRequest>("application/json");
        brokers.MapDelete("/{guid}", DeleteBrokerAsync);

        var offerings = v3.MapGroup("/service_offerings").WithTags("Service offerings");
        offerings.MapGet("/", ListOfferingsAsync);
        offerings.MapGet("/{guid}", GetOfferingAsync);

        var plans = v3.MapGroup("/service_plans").WithTags("Service plans");
        plans.MapGet("/", ListPlansAsync);
        plans.MapGet("/{guid}", GetPlanAsync);
        plans.MapGet("/{guid}/visibility", GetVisibilityAsync);
        plans.MapPatch("/{guid}/visibility", (string guid, HttpRequest r, Caller c, RavioliDb db, CancellationToken ct) => SetVisibilityAsync(guid, r, c, db, replace: true, ct))
            .Accepts<PlanVisibilityRequest>("application/json");
        plans.MapPost("/{guid}/visibility", (string guid, HttpRequest r, Caller c, RavioliDb db, CancellationToken ct) => SetVisibilityAsync(guid, r, c, db, replace: false, ct))
            .Accepts<PlanVisibilityRequest>("application/json");
        plans.MapDelete("/{guid}/visibility/{organization}", RemoveVisibilityAsync);
        return v3;
    }

    // ---- brokers ----

    private static ServiceBrokerResource Present(HttpRequest request, ServiceBrokerEntity b) => new(
        b.Guid, b.CreatedAt, b.UpdatedAt, b.Name, b.Url, new ServiceBrokerRelationships(ToOne.Of(b.SpaceGuid)),
        new Dictionary<string, Link>
        {
            ["self"] = Urls.To(request, $"/v3/service_brokers/{b.Guid}"),
            ["service_offerings"] = Urls.To(request, $"/v3/service_offerings?service_broker_guids={b.Guid}"),
        });

    private static async Task<Ok<Page<ServiceBrokerResource>>> ListBrokersAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var query = ListQuery.Parse(request, "names", "guids", "space_guids");
        var source = ServiceAccess.Brokers(db, caller).AsNoTracking()
            .WhereIn(query, "names", b => b.Name)
            .WhereIn(query, "guids", b => b.Guid);
        if (query.Filter("space_guids") is { } spaces)
        {
            source = source.Where(b => b.SpaceGuid != null && spaces.Contains(b.SpaceGuid));
        }
        return TypedResults.Ok(await Lists.PageAsync(source, query, request, b => Present(request, b), ct));
    }

    private static async Task<ServiceBrokerEntity> BrokerAsync(RavioliDb db, Caller caller, string guid, CancellationToken ct) =>
        await ServiceAccess.Brokers(db, caller).FirstOrDefaultAsync(b => b.Guid == guid, ct) ?? throw ApiProblem.NotFound("Service broker", guid);

    private static async Task<Ok<ServiceBrokerResource>> GetBrokerAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct) =>
        TypedResults.Ok(Present(request, await BrokerAsync(db, caller, guid, ct)));

    internal static string? CheckBrokerUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return "is required";
        }
        if (url.Length > 2048)
        {
            return "must be at most 2048 characters";
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.UserInfo)
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            return "must be an http(s) URL without credentials, query or fragment, e.g. https://broker.example.com";
        }
        return null;
    }

    private static void CheckAuthentication(FieldErrors errors, BrokerAuthenticationRequest? auth, bool required)
    {
        if (auth is null)
        {
            if (required)
            {
                errors.Add("authentication", "is required: {\"type\": \"basic\", \"credentials\": {\"username\", \"password\"}}");
            }
            return;
        }
        if (auth.Type != "basic")
        {
            errors.Add("authentication.type", "must be \"basic\"");
        }
        if (string.IsNullOrEmpty(auth.Credentials?.Username) || auth.Credentials.Username.Length > Names.MaxLength)
        {
            errors.Add("authentication.credentials.username", $"is required, at most {Names.MaxLength} characters");
        }
        if (string.IsNullOrEmpty(auth.Credentials?.Password) || auth.Credentials.Password.Length > 1024)
        {
            errors.Add("authentication.credentials.password", "is required, at most 1024 characters");
        }
    }

    private static async Task<Created<ServiceBrokerResource>> CreateBrokerAsync(
        HttpRequest request, Caller caller, RavioliDb db, BrokerCatalogs catalogs, SecretBox secrets, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<CreateServiceBrokerRequest>(request);
        var errors = new FieldErrors();
        errors.Check("name", Names.CheckResourceName(body.Name));
        errors.Check("url", CheckBrokerUrl(body.Url));
        CheckAuthentication(errors, body.Authentication, required: true);
        errors.ThrowIfAny();
        string? spaceGuid = null;
        if (body.Relationships?.Space is { } spaceRef)
        {
            var space = await Visible.RelatedAsync(Visible.Spaces(db, caller), spaceRef.Data?.Guid, "relationships.space.data.guid", "space", ct);
            ServiceAccess.RequireDeveloper(caller, space, "register space-scoped service brokers");
            spaceGuid = space.Guid;
        }
        else
        {
            Visible.Require(caller.IsAdmin, "Only platform admins can register global service brokers; space developers can register space-scoped ones (relationships.space, 'rav create-service-broker --space-scoped').");
        }
        var message = $"a service broker named '{body.Name}' already exists";
        if (await db.ServiceBrokers.AnyAsync(b => b.Name == body.Name, ct))
        {
            throw ApiProblem.Invalid("name", message);
        }
        var broker = new ServiceBrokerEntity
        {
            Name = body.Name!,
            Url = body.Url!.TrimEnd('/'),
            Username = body.Authentication!.Credentials!.Username!,
            Password = secrets.Seal(body.Authentication.Credentials.Password!),
            SpaceGuid = spaceGuid,
        };
        var catalog = await catalogs.FetchAsync(catalogs.Endpoint(broker), ct);
        db.ServiceBrokers.Add(broker);
        await BrokerCatalogs.ApplyAsync(db, broker, catalog, ct);
        var space2 = spaceGuid is null ? null : await db.Spaces.AsNoTracking().FirstAsync(s => s.Guid == spaceGuid, ct);
        AuditLog.Record(db, caller, "audit.service_broker.create", new("service_broker", broker.Guid, broker.Name), space2?.OrganizationGuid, spaceGuid,
            new { name = broker.Name, url = broker.Url, services = catalog.Services.Select(s => s.Name) });
        await OrganizationsApi.SaveUniqueAsync(db, "name", message, ct);
        return TypedResults.Created($"/v3/service_brokers/{broker.Guid}", Present(request, broker));
    }

    private static async Task<Ok<ServiceBrokerResource>> UpdateBrokerAsync(
        string guid, HttpRequest request, Caller caller, RavioliDb db, BrokerCatalogs catalogs, SecretBox secrets, CancellationToken ct)
    {
        var broker = await BrokerAsync(db, caller, guid, ct);
        var body = await JsonBody.ReadAsync<UpdateServiceBrokerRequest>(request);
        var errors = new FieldErrors();
        if (body.Name is not null)
        {
            errors.Check("name", Names.CheckResourceName(body.Name));
        }
        if (body.Url is not null)
        {
            errors.Check("url", CheckBrokerUrl(body.Url));
        }
        CheckAuthentication(errors, body.Authentication, required: false);
        errors.ThrowIfAny();
        var message = $"a service broker named '{body.Name}' already exists";
        if (body.Name is not null && body.Name != broker.Name && await db.ServiceBrokers.AnyAsync(b => b.Name == body.Name, ct))
        {
            throw ApiProblem.Invalid("name", message);
        }
        broker.Name = body.Name ?? broker.Name;
        // A rename alone does not ask the broker anything; a new URL or credentials re-read the catalog, as cf update-service-broker does.
        if (body.Url is not null || body.Authentication is not null)
        {
            broker.Url = body.Url?.TrimEnd('/') ?? broker.Url;
            if (body.Authentication?.Credentials is { } credentials)
            {
                broker.Username = credentials.Username!;
                broker.Password = secrets.Seal(credentials.Password!);
            }
            var catalog = await catalogs.FetchAsync(catalogs.Endpoint(broker), ct);
            await BrokerCatalogs.ApplyAsync(db, broker, catalog, ct);
        }
        AuditLog.Record(db, caller, "audit.service_broker.update", new("service_broker", broker.Guid, broker.Name), null, broker.SpaceGuid,
            new { name = body.Name, url = body.Url, credentials_changed = body.Authentication is not null });
        await OrganizationsApi.SaveUniqueAsync(db, "name", message, ct);
        return TypedResults.Ok(Present(request, broker));
    }

    private static async Task<NoContent> DeleteBrokerAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var broker = await BrokerAsync(db, caller, guid, ct);
        var purge = request.Query["purge"] == "true";
        var instances = db.ServiceInstances.Where(i => i.Plan!.Offering!.BrokerGuid == broker.Guid);
        if (purge)
        {
            Visible.Require(caller.IsAdmin, "Only platform admins can purge a service broker.");
            await db.ServiceBindings.Where(b => instances.Any(i => i.Guid == b.InstanceGuid)).ExecuteDeleteAsync(ct);
            await instances.ExecuteDeleteAsync(ct);
        }
        else
        {
            var names = await instances.OrderBy(i => i.Name).Select(i => i.Name).Take(10).ToListAsync(ct);
            if (names.Count > 0)
            {
                var count = await instances.CountAsync(ct);
                throw ApiProblem.Unprocessable(
                    $"Service broker '{broker.Name}' still has {count} service instance(s): {string.Join(", ", names)}{(count > names.Count ? ", …" : "")}. " +
                    "Delete them first, or purge the broker (admins: 'rav delete-service-broker --purge') to forget them without asking the broker.");
            }
        }
        db.ServiceBrokers.Remove(broker);
        AuditLog.Record(db, caller, "audit.service_broker.delete", new("service_broker", broker.Guid, broker.Name), null, broker.SpaceGuid, new { purge });
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    // ---- offerings ----

    private static List<string> JsonList(string json) => JsonSerializer.Deserialize<List<string>>(json) ?? [];

    internal static ServiceOfferingResource PresentOffering(HttpRequest request, ServiceOfferingEntity o)
    {
        var metadata = BrokerCatalogs.ParseObject(o.Metadata);
        return new(
            o.Guid, o.CreatedAt, o.UpdatedAt, o.Name, o.Description, o.Available, JsonList(o.Tags), JsonList(o.Requires),
            metadata?["documentationUrl"]?.GetValueKind() == JsonValueKind.String ? metadata["documentationUrl"]!.GetValue<string>() : null,
            new ServiceOfferingCatalog(o.CatalogId, metadata, new ServiceOfferingFeatures(o.Bindable, o.PlanUpdateable, o.InstancesRetrievable, o.BindingsRetrievable, o.AllowContextUpdates)),
            new ServiceOfferingRelationships(ToOne.Of(o.BrokerGuid)),
            new Dictionary<string, Link>
            {
                ["self"] = Urls.To(request, $"/v3/service_offerings/{o.Guid}"),
                ["service_plans"] = Urls.To(request, $"/v3/service_plans?service_offering_guids={o.Guid}"),
                ["service_broker"] = Urls.To(request, $"/v3/service_brokers/{o.BrokerGuid}"),
            });
    }

    private static IQueryable<ServiceOfferingEntity> VisibleOfferings(RavioliDb db, Caller caller)
    {
        var plans = ServiceAccess.Plans(db, caller);
        return db.ServiceOfferings.Where(o => plans.Any(p => p.OfferingGuid == o.Guid));
    }

    private static async Task<Ok<Page<ServiceOfferingResource>>> ListOfferingsAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var query = ListQuery.Parse(request, "names", "guids", "service_broker_guids", "service_broker_names", "space_guids", "organization_guids", "available");
        var offerings = VisibleOfferings(db, caller).AsNoTracking()
            .WhereIn(query, "names", o => o.Name)
            .WhereIn(query, "guids", o => o.Guid)
            .WhereIn(query, "service_broker_guids", o => o.BrokerGuid)
            .WhereIn(query, "service_broker_names", o => o.Broker!.Name);
        var plans = FilterPlansByPlace(db, db.ServicePlans, query);
        if (query.Filter("space_guids") is not null || query.Filter("organization_guids") is not null)
        {
            offerings = offerings.Where(o => plans.Any(p => p.OfferingGuid == o.Guid));
        }
        if (query.Single("available") is { } available)
        {
            var value = ParseBool("available", available);
            offerings = offerings.Where(o => o.Available == value);
        }
        return TypedResults.Ok(await Lists.PageAsync(offerings, query, request, o => PresentOffering(request, o), ct));
    }

    private static async Task<Ok<ServiceOfferingResource>> GetOfferingAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct) =>
        TypedResults.Ok(PresentOffering(request, await VisibleOfferings(db, caller).AsNoTracking().FirstOrDefaultAsync(o => o.Guid == guid, ct)
            ?? throw ApiProblem.NotFound("Service offering", guid)));

    private static bool ParseBool(string field, string value) => value switch
    {
        "true" => true,
        "false" => false,
        _ => throw ApiProblem.BadRequest($"{field} must be true or false"),
    };

    /// <summary>space_guids / organization_guids filters: plans usable there (public, enabled for the org, or the space's own broker).</summary>
    private static IQueryable<ServicePlanEntity> FilterPlansByPlace(RavioliDb db, IQueryable<ServicePlanEntity> plans, ListQuery query)
    {
        if (query.Filter("space_guids") is { } spaces)
        {
            var orgs = db.Spaces.Where(s => spaces.Contains(s.Guid)).Select(s => s.OrganizationGuid);
            plans = plans.Where(p => p.VisibilityType == VisibilityTypes.Public
                || (p.VisibilityType == VisibilityTypes.Organization && db.ServicePlanVisibilities.Any(v => v.PlanGuid == p.Guid && orgs.Contains(v.OrganizationGuid)))
                || (p.VisibilityType == VisibilityTypes.Space && spaces.Contains(p.Offering!.Broker!.SpaceGuid!)));
        }
        if (query.Filter("organization_guids") is { } organizations)
        {
            plans = plans.Where(p => p.VisibilityType == VisibilityTypes.Public
                || (p.VisibilityType == VisibilityTypes.Organization && db.ServicePlanVisibilities.Any(v => v.PlanGuid == p.Guid && organizations.Contains(v.OrganizationGuid)))
                || (p.VisibilityType == VisibilityTypes.Space && db.Spaces.Any(s => s.Guid == p.Offering!.Broker!.SpaceGuid && organizations.Contains(s.OrganizationGuid))));
        }
        return plans;
    }

    // ---- plans ----

    internal static ServicePlanResource PresentPlan(HttpRequest request, ServicePlanEntity p, ServiceOfferingEntity offering) => new(
        p.Guid, p.CreatedAt, p.UpdatedAt, p.Name, p.Description, p.Available, p.Free, p.VisibilityType,
        new ServicePlanCatalog(p.CatalogId, BrokerCatalogs.ParseObject(p.Metadata), p.MaximumPollingDuration,
            new ServicePlanFeatures(p.Bindable ?? offering.Bindable, p.PlanUpdateable ?? offering.PlanUpdateable)),
        BrokerCatalogs.ParseObject(p.Schemas), BrokerCatalogs.ParseObject(p.MaintenanceInfo),
        new ServicePlanRelationships(ToOne.Of(p.OfferingGuid)),
        new Dictionary<string, Link>
        {
            ["self"] = Urls.To(request, $"/v3/service_plans/{p.Guid}"),
            ["service_offering"] = Urls.To(request, $"/v3/service_offerings/{p.OfferingGuid}"),
            ["visibility"] = Urls.To(request, $"/v3/service_plans/{p.Guid}/visibility"),
        });

    private static async Task<Ok<Page<ServicePlanResource>>> ListPlansAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var query = ListQuery.Parse(request, "names", "guids", "service_offering_guids", "service_offering_names", "service_broker_guids",
            "service_broker_names", "space_guids", "organization_guids", "available");
        var plans = ServiceAccess.Plans(db, caller).AsNoTracking().Include(p => p.Offering)
            .WhereIn(query, "names", p => p.Name)
            .WhereIn(query, "guids", p => p.Guid)
            .WhereIn(query, "service_offering_guids", p => p.OfferingGuid)
            .WhereIn(query, "service_offering_names", p => p.Offering!.Name)
            .WhereIn(query, "service_broker_guids", p => p.Offering!.BrokerGuid)
            .WhereIn(query, "service_broker_names", p => p.Offering!.Broker!.Name);
        plans = FilterPlansByPlace(db, plans, query);
        if (query.Single("available") is { } available)
        {
            var value = ParseBool("available", available);
            plans = plans.Where(p => p.Available == value);
        }
        return TypedResults.Ok(await Lists.PageAsync(plans, query, request, p => PresentPlan(request, p, p.Offering!), ct));
    }

    private static async Task<ServicePlanEntity> PlanAsync(RavioliDb db, Caller caller, string guid, CancellationToken ct) =>
        await ServiceAccess.Plans(db, caller).Include(p => p.Offering!).ThenInclude(o => o.Broker).FirstOrDefaultAsync(p => p.Guid == guid, ct)
            ?? throw ApiProblem.NotFound("Service plan", guid);

    private static async Task<Ok<ServicePlanResource>> GetPlanAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var plan = await PlanAsync(db, caller, guid, ct);
        return TypedResults.Ok(PresentPlan(request, plan, plan.Offering!));
    }

    private static async Task<PlanVisibilityResource> VisibilityAsync(RavioliDb db, ServicePlanEntity plan, CancellationToken ct)
    {
        var orgs = await db.Organizations.Where(o => db.ServicePlanVisibilities.Any(v => v.PlanGuid == plan.Guid && v.OrganizationGuid == o.Guid))
            .OrderBy(o => o.Name).Select(o => new VisibilityOrganization(o.Guid, o.Name)).ToListAsync(ct);
        return new PlanVisibilityResource(plan.VisibilityType, orgs);
    }

    private static async Task<Ok<PlanVisibilityResource>> GetVisibilityAsync(string guid, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var plan = await PlanAsync(db, caller, guid, ct);
        Visible.Require(caller.IsAdmin || plan.VisibilityType == VisibilityTypes.Space, "Only platform admins can see a plan's access list.");
        return TypedResults.Ok(await VisibilityAsync(db, plan, ct));
    }

    private static async Task<Ok<PlanVisibilityResource>> SetVisibilityAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, bool replace, CancellationToken ct)
    {
        var plan = await PlanAsync(db, caller, guid, ct);
        Visible.Require(caller.IsAdmin, "Only platform admins can change who may use a service plan ('rav enable-service-access').");
        if (plan.VisibilityType == VisibilityTypes.Space)
        {
            throw ApiProblem.Unprocessable("Plans of space-scoped brokers are visible in their space only; their access cannot be changed.");
        }
        var body = await JsonBody.ReadAsync<PlanVisibilityRequest>(request);
        var allowed = replace ? new[] { VisibilityTypes.Public, VisibilityTypes.Admin, VisibilityTypes.Organization } : [VisibilityTypes.Organization];
        if (body.Type is null || !allowed.Contains(body.Type))
        {
            throw ApiProblem.Invalid("type", $"must be one of: {string.Join(", ", allowed)}");
        }
        var orgGuids = new List<string>();
        if (body.Type == VisibilityTypes.Organization)
        {
            if (body.Organizations is not { Count: > 0 })
            {
                throw ApiProblem.Invalid("organizations", "must list at least one organization for type organization");
            }
            for (var i = 0; i < body.Organizations.Count; i++)
            {
                var org = await Visible.RelatedAsync(db.Organizations, body.Organizations[i].Guid, $"organizations[{i}].guid", "organization", ct);
                orgGuids.Add(org.Guid);
            }
        }
        else if (body.Organizations is { Count: > 0 })
        {
            throw ApiProblem.Invalid("organizations", $"is only allowed with type organization (got type {body.Type})");
        }
        var existing = await db.ServicePlanVisibilities.Where(v => v.PlanGuid == plan.Guid).ToListAsync(ct);
        if (replace || plan.VisibilityType != VisibilityTypes.Organization)
        {
            db.ServicePlanVisibilities.RemoveRange(existing);
            existing.Clear();
        }
        foreach (var org in orgGuids.Distinct().Where(o => existing.All(e => e.OrganizationGuid != o)))
        {
            db.ServicePlanVisibilities.Add(new ServicePlanVisibilityEntity { PlanGuid = plan.Guid, OrganizationGuid = org });
        }
        plan.VisibilityType = body.Type;
        AuditLog.Record(db, caller, "audit.service_plan_visibility.update", new("service_plan", plan.Guid, plan.Name), null, null,
            new { type = body.Type, organizations = orgGuids });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(await VisibilityAsync(db, plan, ct));
    }

    private static async Task<NoContent> RemoveVisibilityAsync(string guid, string organization, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var plan = await PlanAsync(db, caller, guid, ct);
        Visible.Require(caller.IsAdmin, "Only platform admins can change who may use a service plan ('rav disable-service-access').");
        var row = await db.ServicePlanVisibilities.FirstOrDefaultAsync(v => v.PlanGuid == plan.Guid && v.OrganizationGuid == organization, ct)
            ?? throw ApiProblem.NotFound("Service plan visibility for organization", organization);
        db.ServicePlanVisibilities.Remove(row);
        // The last organization gone: back to admins only, not to "everyone".
        if (!await db.ServicePlanVisibilities.AnyAsync(v => v.PlanGuid == plan.Guid && v.OrganizationGuid != organization, ct))
        {
            plan.VisibilityType = VisibilityTypes.Admin;
        }
        AuditLog.Record(db, caller, "audit.service_plan_visibility.delete", new("service_plan", plan.Guid, plan.Name), organization, null);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }
}
