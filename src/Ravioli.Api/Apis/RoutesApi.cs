using Ravioli.Core.Faults;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Audit;
using Ravioli.Api.Auth;
using Ravioli.Api.Http;
using Ravioli.Core.Apps;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Apis;

public sealed record DomainResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string Name, bool Internal, IReadOnlyList<string> SupportedProtocols,
    DomainRelationships Relationships, IReadOnlyDictionary<string, Link> Links);

public sealed record DomainRelationships(ToOne Organization);

public sealed record DomainRelationshipsRequest(Relationship? Organization);

public sealed record CreateDomainRequest(string? Name, bool? Internal, DomainRelationshipsRequest? Relationships);

public sealed record RouteDestinationApp(string Guid, DestinationProcess Process);

public sealed record DestinationProcess(string Type);

public sealed record RouteDestination(string Guid, RouteDestinationApp App, int? Port);

public sealed record RouteResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string Protocol, string Host, string Path, string Url,
    IReadOnlyList<RouteDestination> Destinations, RouteRelationships Relationships, IReadOnlyDictionary<string, Link> Links);

public sealed record RouteRelationships(ToOne Space, ToOne Domain);

public sealed record RouteRelationshipsRequest(Relationship? Space, Relationship? Domain);

public sealed record CreateRouteRequest(string? Host, string? Path, RouteRelationshipsRequest? Relationships);

public sealed record DestinationProcessRequest(string? Type);

public sealed record DestinationAppRequest(string? Guid, DestinationProcessRequest? Process);

public sealed record DestinationRequest(DestinationAppRequest? App, int? Port);

public sealed record InsertDestinationsRequest(IReadOnlyList<DestinationRequest>? Destinations);

public static partial class RoutesApi
{
    public const int MaxDestinationsPerRequest = 100;

    public static RouteGroupBuilder MapRoutesApi(this RouteGroupBuilder v3)
    {
        var domains = v3.MapGroup("/domains").WithTags("Domains");
        domains.MapGet("/", ListDomainsAsync);
        domains.MapPost("/", CreateDomainAsync).Accepts<CreateDomainRequest>("application/json");
        domains.MapGet("/{guid}", GetDomainAsync);
        domains.MapDelete("/{guid}", DeleteDomainAsync);

        var routes = v3.MapGroup("/routes").WithTags("Routes");
        routes.MapGet("/", ListRoutesAsync);
        routes.MapPost("/", CreateRouteAsync).Accepts<CreateRouteRequest>("application/json");
        routes.MapGet("/{guid}", GetRouteAsync);
        routes.MapDelete("/{guid}", DeleteRouteAsync);
        routes.MapGet("/{guid}/destinations", DestinationsAsync);
        routes.MapPost("/{guid}/destinations", InsertDestinationsAsync).Accepts<InsertDestinationsRequest>("application/json");
        routes.MapDelete("/{guid}/destinations/{destination}", RemoveDestinationAsync);
        v3.MapGet("/apps/{guid}/routes", ListForAppAsync).WithTags("Routes");
        return v3;
    }

    // ---- domains ----

    private static DomainResource PresentDomain(HttpRequest request, DomainEntity d) => new(
        d.Guid, d.CreatedAt, d.UpdatedAt, d.Name, false, ["http"], new DomainRelationships(ToOne.Of(d.OrganizationGuid)),
        new Dictionary<string, Link> { ["self"] = Urls.To(request, $"/v3/domains/{d.Guid}") });

    /// <summary>Shared domains are visible to everyone; private ones to the members of their org.</summary>
    private static IQueryable<DomainEntity> VisibleDomains(RavioliDb db, Caller caller)
    {
        if (caller.IsAdmin)
        {
            return db.Domains;
        }
        var orgs = caller.OrganizationGuids.ToArray();
        return db.Domains.Where(d => d.OrganizationGuid == null || orgs.Contains(d.OrganizationGuid));
    }

    private static async Task<Ok<Page<DomainResource>>> ListDomainsAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var query = ListQuery.Parse(request, "names", "guids", "organization_guids");
        var source = VisibleDomains(db, caller).AsNoTracking();
        source = source.WhereIn(query, "names", d => d.Name);
        source = source.WhereIn(query, "guids", d => d.Guid);
        if (query.Filter("organization_guids") is { } orgs)
        {
            source = source.Where(d => d.OrganizationGuid != null && orgs.Contains(d.OrganizationGuid));
        }
        return TypedResults.Ok(await Lists.PageAsync(source, query, request, d => PresentDomain(request, d), ct));
    }

    private static async Task<Ok<DomainResource>> GetDomainAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct) =>
        TypedResults.Ok(PresentDomain(request, await VisibleDomains(db, caller).AsNoTracking().FirstOrDefaultAsync(d => d.Guid == guid, ct)
            ?? throw ApiProblem.NotFound("Domain", guid)));

    private static async Task<Created<DomainResource>> CreateDomainAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<CreateDomainRequest>(request);
        var errors = new FieldErrors();
        var name = body.Name?.ToLowerInvariant();
        errors.Check("name", CheckDomainName(name));
        if (body.Internal == true)
        {
            errors.Add("internal", "internal domains are not supported yet");
        }
        errors.ThrowIfAny();
        string? orgGuid = null;
        if (body.Relationships?.Organization is { } orgRef)
        {
            var org = await Visible.RelatedAsync(Visible.Organizations(db, caller), orgRef.Data?.Guid, "relationships.organization.data.guid", "organization", ct);
            Visible.Require(caller.IsOrganizationManager(org.Guid), $"You need the organization_manager role in '{org.Name}' to create its private domains.");
            orgGuid = org.Guid;
        }
        else
        {
            Visible.Require(caller.IsAdmin, "Only platform admins can create shared domains; org managers can create private ones (relationships.organization).");
        }
        var message = $"the domain '{name}' already exists";
        if (await db.Domains.AnyAsync(d => d.Name == name, ct))
        {
            throw ApiProblem.Invalid("name", message);
        }
        var domain = new DomainEntity { Name = name!, OrganizationGuid = orgGuid };
        db.Domains.Add(domain);
        AuditLog.Record(db, caller, "audit.domain.create", new("domain", domain.Guid, domain.Name), orgGuid, null, new { name, organization_guid = orgGuid });
        await OrganizationsApi.SaveUniqueAsync(db, "name", message, ct);
        return TypedResults.Created($"/v3/domains/{domain.Guid}", PresentDomain(request, domain));
    }

    private static async Task<NoContent> DeleteDomainAsync(string guid, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var domain = await VisibleDomains(db, caller).FirstOrDefaultAsync(d => d.Guid == guid, ct) ?? throw ApiProblem.NotFound("Domain", guid);
        Visible.Require(domain.OrganizationGuid is null ? caller.IsAdmin : caller.IsOrganizationManager(domain.OrganizationGuid),
            "Only admins delete shared domains; org managers delete their org's private domains.");
        var used = await db.Routes.CountAsync(r => r.DomainGuid == domain.Guid, ct);
        if (used > 0)
        {
            throw ApiProblem.Unprocessable($"Domain '{domain.Name}' still has {used} route(s); delete them first.");
        }
        db.Domains.Remove(domain);
        AuditLog.Record(db, caller, "audit.domain.delete", new("domain", domain.Guid, domain.Name), domain.OrganizationGuid, null);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    internal static string? CheckDomainName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "is required";
        }
        if (name.Length > 253 || !name.Contains('.', StringComparison.Ordinal) || !name.Split('.').All(l => DnsLabel().IsMatch(l)))
        {
            return "must be a DNS name of dot-separated labels (letters, digits, '-'), at most 253 characters, e.g. apps.example.com";
        }
        return null;
    }

    // ---- routes ----

    private static RouteResource PresentRoute(HttpRequest request, RouteEntity r, string domainName, IEnumerable<RouteMappingEntity> mappings) => new(
        r.Guid, r.CreatedAt, r.UpdatedAt, "http", r.Host, r.Path, Url(r.Host, domainName, r.Path),
        [.. mappings.Select(m => new RouteDestination(m.Guid, new RouteDestinationApp(m.AppGuid, new DestinationProcess(m.ProcessType)), null))],
        new RouteRelationships(ToOne.Of(r.SpaceGuid), ToOne.Of(r.DomainGuid)),
        new Dictionary<string, Link>
        {
            ["self"] = Urls.To(request, $"/v3/routes/{r.Guid}"),
            ["space"] = Urls.To(request, $"/v3/spaces/{r.SpaceGuid}"),
            ["domain"] = Urls.To(request, $"/v3/domains/{r.DomainGuid}"),
            ["destinations"] = Urls.To(request, $"/v3/routes/{r.Guid}/destinations"),
        });

    public static string Url(string host, string domain, string path) => (host.Length == 0 ? domain : $"{host}.{domain}") + path;

    private static IQueryable<RouteEntity> VisibleRoutes(RavioliDb db, Caller caller)
    {
        var spaces = Visible.Spaces(db, caller);
        return db.Routes.Where(r => spaces.Any(s => s.Guid == r.SpaceGuid));
    }

    private static async Task<Page<RouteResource>> PageRoutesAsync(IQueryable<RouteEntity> source, ListQuery query, HttpRequest request, RavioliDb db, CancellationToken ct)
    {
        var page = await Lists.PageAsync(source.Include(r => r.Domain), query, request, r => r, ct);
        var guids = page.Resources.Select(r => r.Guid).ToArray();
        var mappings = await db.RouteMappings.AsNoTracking().Where(m => guids.Contains(m.RouteGuid)).ToListAsync(ct);
        return new Page<RouteResource>(page.Pagination,
            [.. page.Resources.Select(r => PresentRoute(request, r, r.Domain!.Name, mappings.Where(m => m.RouteGuid == r.Guid)))]);
    }

    private static async Task<Ok<Page<RouteResource>>> ListRoutesAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var query = ListQuery.Parse(request, "guids", "hosts", "paths", "domain_guids", "space_guids", "organization_guids", "app_guids");
        var source = VisibleRoutes(db, caller).AsNoTracking();
        source = source.WhereIn(query, "guids", r => r.Guid);
        source = source.WhereIn(query, "hosts", r => r.Host);
        source = source.WhereIn(query, "paths", r => r.Path);
        source = source.WhereIn(query, "domain_guids", r => r.DomainGuid);
        source = source.WhereIn(query, "space_guids", r => r.SpaceGuid);
        source = source.WhereIn(query, "organization_guids", r => r.Space!.OrganizationGuid);
        if (query.Filter("app_guids") is { } apps)
        {
            source = source.Where(r => db.RouteMappings.Any(m => m.RouteGuid == r.Guid && apps.Contains(m.AppGuid)));
        }
        return TypedResults.Ok(await PageRoutesAsync(source, query, request, db, ct));
    }

    private static async Task<Ok<Page<RouteResource>>> ListForAppAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var app = await Visible.AppAsync(db, caller, guid, ct);
        var query = ListQuery.Parse(request);
        var source = db.Routes.AsNoTracking().Where(r => db.RouteMappings.Any(m => m.RouteGuid == r.Guid && m.AppGuid == app.Guid));
        return TypedResults.Ok(await PageRoutesAsync(source, query, request, db, ct));
    }

    private static async Task<RouteEntity> FindRouteAsync(RavioliDb db, Caller caller, string guid, CancellationToken ct) =>
        await VisibleRoutes(db, caller).Include(r => r.Domain).Include(r => r.Space).FirstOrDefaultAsync(r => r.Guid == guid, ct)
            ?? throw ApiProblem.NotFound("Route", guid);

    private static async Task<Ok<RouteResource>> GetRouteAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var route = await FindRouteAsync(db, caller, guid, ct);
        var mappings = await db.RouteMappings.AsNoTracking().Where(m => m.RouteGuid == route.Guid).ToListAsync(ct);
        return TypedResults.Ok(PresentRoute(request, route, route.Domain!.Name, mappings));
    }

    private static async Task<Created<RouteResource>> CreateRouteAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<CreateRouteRequest>(request);
        var route = await CreateRouteCoreAsync(db, caller, body, ct);
        await db.SaveChangesAsync(ct);
        FaultPoints.Reach("push.route-created");
        return TypedResults.Created($"/v3/routes/{route.Guid}", PresentRoute(request, route, route.Domain!.Name, []));
    }

    /// <summary>Validates and adds a route (not yet saved): host and path rules, domain reach, uniqueness, the org's route quota.</summary>
    internal static async Task<RouteEntity> CreateRouteCoreAsync(RavioliDb db, Caller caller, CreateRouteRequest body, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var host = (body.Host ?? "").ToLowerInvariant();
        var path = body.Path ?? "";
        if (host.Length > 0 && !DnsLabel().IsMatch(host))
        {
            errors.Add("host", "must be a DNS label: letters, digits and '-', 1-63 characters, not starting or ending with '-'");
        }
        if (path.Length > 0 && (!path.StartsWith('/') || path.EndsWith('/') || path.Length > 128 || path.IndexOfAny(['?', '#', ' ', '\\']) >= 0 || path.Contains("..", StringComparison.Ordinal) || path.Any(char.IsControl)))
        {
            errors.Add("path", "must start with '/', not end with '/', and have no '?', '#', '..', spaces or control characters (at most 128 characters)");
        }
        errors.ThrowIfAny();
        var space = await Visible.RelatedAsync(Visible.Spaces(db, caller), body.Relationships?.Space?.Data?.Guid, "relationships.space.data.guid", "space", ct);
        Visible.Require(caller.IsSpaceDeveloper(space.Guid), $"You need the space_developer role in '{space.Name}' to create routes.");
        var domain = await Visible.RelatedAsync(VisibleDomains(db, caller), body.Relationships?.Domain?.Data?.Guid, "relationships.domain.data.guid", "domain", ct);
        if (domain.OrganizationGuid is not null && domain.OrganizationGuid != space.OrganizationGuid)
        {
            throw ApiProblem.Invalid("relationships.domain.data.guid", $"domain '{domain.Name}' is private to another organization");
        }
        if (host.Length == 0 && domain.OrganizationGuid is null)
        {
            throw ApiProblem.Invalid("host", $"is required on the shared domain '{domain.Name}'");
        }
        var taken = $"the route {Url(host, domain.Name, path)} is already taken";
        if (await db.Routes.AnyAsync(r => r.Host == host && r.DomainGuid == domain.Guid && r.Path == path, ct))
        {
            throw ApiProblem.Unprocessable(taken + ". Choose another host name (or use --random-route).");
        }
        var quota = await db.Organizations.Where(o => o.Guid == space.OrganizationGuid).Select(o => o.Quota).FirstOrDefaultAsync(ct);
        if (quota?.TotalRoutes is { } limit && await db.Routes.CountAsync(r => r.Space!.OrganizationGuid == space.OrganizationGuid, ct) >= limit)
        {
            throw ApiProblem.Unprocessable($"The organization's quota '{quota.Name}' allows {limit} routes and they are all in use.");
        }
        var route = new RouteEntity { Host = host, Path = path, DomainGuid = domain.Guid, Domain = domain, SpaceGuid = space.Guid };
        db.Routes.Add(route);
        AuditLog.Record(db, caller, "audit.route.create", new("route", route.Guid, Url(host, domain.Name, path)), space.OrganizationGuid, space.Guid, new { host, path, domain = domain.Name });
        return route;
    }

    private static async Task<NoContent> DeleteRouteAsync(string guid, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var route = await FindRouteAsync(db, caller, guid, ct);
        Visible.Require(caller.IsSpaceDeveloper(route.SpaceGuid), $"You need the space_developer role in '{route.Space!.Name}' to delete routes.");
        db.Routes.Remove(route);
        AuditLog.Record(db, caller, "audit.route.delete-request", new("route", route.Guid, Url(route.Host, route.Domain!.Name, route.Path)), route.Space!.OrganizationGuid, route.SpaceGuid);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<object>> DestinationsAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var route = await FindRouteAsync(db, caller, guid, ct);
        var mappings = await db.RouteMappings.AsNoTracking().Where(m => m.RouteGuid == route.Guid).ToListAsync(ct);
        return TypedResults.Ok<object>(new { destinations = PresentRoute(request, route, route.Domain!.Name, mappings).Destinations });
    }

    private static async Task<Ok<object>> InsertDestinationsAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var route = await FindRouteAsync(db, caller, guid, ct);
        var body = await JsonBody.ReadAsync<InsertDestinationsRequest>(request);
        Visible.Require(caller.IsSpaceDeveloper(route.SpaceGuid), $"You need the space_developer role in '{route.Space!.Name}' to map routes.");
        if (body.Destinations is not { Count: > 0 } destinations)
        {
            throw ApiProblem.Invalid("destinations", "list at least one destination: {\"app\": {\"guid\": …}}");
        }
        // Each destination costs a few queries: a bound keeps one request from holding the database for minutes.
        if (destinations.Count > MaxDestinationsPerRequest)
        {
            throw ApiProblem.Invalid("destinations", $"at most {MaxDestinationsPerRequest} destinations per request");
        }
        for (var i = 0; i < destinations.Count; i++)
        {
            if (destinations[i].App?.Process?.Type is { } requestedType && !ProcessType().IsMatch(requestedType))
            {
                throw ApiProblem.Invalid($"destinations[{i}].app.process.type", "must be a process type: 1-255 letters, digits, '_' or '-' (as in a Procfile)");
            }
        }
        for (var i = 0; i < destinations.Count; i++)
        {
            var app = await Visible.RelatedAsync(Visible.Apps(db, caller), destinations[i].App?.Guid, $"destinations[{i}].app.guid", "app", ct);
            if (app.SpaceGuid != route.SpaceGuid)
            {
                throw ApiProblem.Invalid($"destinations[{i}].app.guid", "the app must be in the route's space");
            }
            if (destinations[i].Port is not null)
            {
                throw ApiProblem.Invalid($"destinations[{i}].port", "custom app ports are not supported; apps listen on $PORT");
            }
            var type = destinations[i].App?.Process?.Type ?? ProcessLimits.WebType;
            await MapAsync(db, caller, route, app, type, ct);
        }
        await db.SaveChangesAsync(ct);
        FaultPoints.Reach("push.route-mapped");
        return await DestinationsAsync(guid, request, caller, db, ct);
    }

    /// <summary>Adds a destination unless it is already there (mapping twice is not an error, as in CF).</summary>
    internal static async Task MapAsync(RavioliDb db, Caller caller, RouteEntity route, AppEntity app, string processType, CancellationToken ct)
    {
        if (await db.RouteMappings.AnyAsync(m => m.RouteGuid == route.Guid && m.AppGuid == app.Guid && m.ProcessType == processType, ct)
            || db.RouteMappings.Local.Any(m => m.RouteGuid == route.Guid && m.AppGuid == app.Guid && m.ProcessType == processType))
        {
            return;
        }
        db.RouteMappings.Add(new RouteMappingEntity { RouteGuid = route.Guid, AppGuid = app.Guid, ProcessType = processType });
        AuditLog.Record(db, caller, "audit.app.map-route", new("app", app.Guid, app.Name), route.Space?.OrganizationGuid, app.SpaceGuid,
            new { route_guid = route.Guid, url = Url(route.Host, route.Domain!.Name, route.Path), process_type = processType });
    }

    private static async Task<NoContent> RemoveDestinationAsync(string guid, string destination, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var route = await FindRouteAsync(db, caller, guid, ct);
        Visible.Require(caller.IsSpaceDeveloper(route.SpaceGuid), $"You need the space_developer role in '{route.Space!.Name}' to unmap routes.");
        var mapping = await db.RouteMappings.FirstOrDefaultAsync(m => m.Guid == destination && m.RouteGuid == route.Guid, ct)
            ?? throw ApiProblem.NotFound("Route destination", destination);
        var appName = await db.Apps.Where(a => a.Guid == mapping.AppGuid).Select(a => a.Name).FirstAsync(ct);
        db.RouteMappings.Remove(mapping);
        AuditLog.Record(db, caller, "audit.app.unmap-route", new("app", mapping.AppGuid, appName), route.Space!.OrganizationGuid, route.SpaceGuid,
            new { route_guid = route.Guid, url = Url(route.Host, route.Domain!.Name, route.Path) });
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    [GeneratedRegex(@"^(?!-)[a-z0-9-]{1,63}(?<!-)\z", RegexOptions.IgnoreCase)]
    private static partial Regex DnsLabel();

    // Procfile process types: what a droplet can declare, so the only types a route can lead to.
    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,255}\z")]
    private static partial Regex ProcessType();
}
