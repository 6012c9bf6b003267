using Ravioli.Core.Faults;
using System.Text.Json;
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

public sealed record DropletResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string State, string? Error, string? Buildpack,
    IReadOnlyDictionary<string, string> ProcessTypes, string? Checksum, DropletRelationships Relationships, IReadOnlyDictionary<string, Link> Links);

public sealed record DropletRelationships(ToOne App);

public sealed record SetCurrentDropletRequest(RelationshipData? Data);

public static class DropletsApi
{
    /// <summary>How many droplets an app keeps (the current one always stays), as CF's droplet retention.</summary>
    public const int Kept = 5;

    public static RouteGroupBuilder MapDropletsApi(this RouteGroupBuilder v3)
    {
        v3.MapGet("/droplets/{guid}", GetAsync).WithTags("Droplets");
        v3.MapGet("/apps/{guid}/droplets", ListForAppAsync).WithTags("Droplets");
        v3.MapGet("/apps/{guid}/droplets/current", CurrentAsync).WithTags("Droplets");
        v3.MapPatch("/apps/{guid}/relationships/current_droplet", SetCurrentAsync).WithTags("Droplets").Accepts<SetCurrentDropletRequest>("application/json");
        return v3;
    }

    internal static DropletResource Present(HttpRequest request, DropletEntity d) => new(
        d.Guid, d.CreatedAt, d.UpdatedAt, d.State, d.Error, d.Buildpack,
        JsonSerializer.Deserialize<Dictionary<string, string>>(d.ProcessTypes) ?? [],
        d.BlobKey, new DropletRelationships(ToOne.Of(d.AppGuid)),
        new Dictionary<string, Link>
        {
            ["self"] = Urls.To(request, $"/v3/droplets/{d.Guid}"),
            ["app"] = Urls.To(request, $"/v3/apps/{d.AppGuid}"),
        });

    private static async Task<Ok<DropletResource>> GetAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var apps = Visible.Apps(db, caller);
        var droplet = await db.Droplets.AsNoTracking().FirstOrDefaultAsync(d => d.Guid == guid && apps.Any(a => a.Guid == d.AppGuid), ct)
            ?? throw ApiProblem.NotFound("Droplet", guid);
        return TypedResults.Ok(Present(request, droplet));
    }

    private static async Task<Ok<Page<DropletResource>>> ListForAppAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var app = await Visible.AppAsync(db, caller, guid, ct);
        var query = ListQuery.Parse(request, "states");
        var source = db.Droplets.AsNoTracking().Where(d => d.AppGuid == app.Guid);
        source = source.WhereIn(query, "states", d => d.State);
        return TypedResults.Ok(await Lists.PageAsync(source, query, request, d => Present(request, d), ct));
    }

    private static async Task<Ok<DropletResource>> CurrentAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var app = await Visible.AppAsync(db, caller, guid, ct);
        var droplet = await db.Droplets.AsNoTracking().FirstOrDefaultAsync(d => d.Guid == app.CurrentDropletGuid, ct)
            ?? throw new ApiProblem(404, "not-found", "Not found", $"App '{app.Name}' has no current droplet yet.");
        return TypedResults.Ok(Present(request, droplet));
    }

    /// <summary>Points the app at another staged droplet (a rollback). Running instances move to it on the next restart, as in CF.</summary>
    private static async Task<Ok<ToOne>> SetCurrentAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var app = await Visible.AppAsync(db, caller, guid, ct);
        var body = await JsonBody.ReadAsync<SetCurrentDropletRequest>(request);
        Visible.Require(caller.IsSpaceDeveloper(app.SpaceGuid), $"You need the space_developer role in '{app.Space!.Name}' to change droplets.");
        var dropletGuid = body.Data?.Guid;
        var droplet = await db.Droplets.FirstOrDefaultAsync(d => d.Guid == dropletGuid && d.AppGuid == app.Guid, ct)
            ?? throw ApiProblem.Invalid("data.guid", "must name a droplet of this app");
        if (droplet.State != DropletStates.Staged)
        {
            throw ApiProblem.Invalid("data.guid", $"droplet is {droplet.State}; only STAGED droplets can run");
        }
        await MakeCurrentAsync(db, app, droplet, ct);
        AuditLog.Record(db, caller, "audit.app.droplet.mapped", new("app", app.Guid, app.Name), app.Space!.OrganizationGuid, app.SpaceGuid, new { droplet_guid = droplet.Guid });
        await db.SaveChangesAsync(ct);
        FaultPoints.Reach("staging.droplet-current");
        return TypedResults.Ok(ToOne.Of(droplet.Guid));
    }

    /// <summary>Makes the droplet current and gives every process type it declares a process row (non-web ones start at 0 instances).</summary>
    public static async Task MakeCurrentAsync(RavioliDb db, AppEntity app, DropletEntity droplet, CancellationToken ct)
    {
        app.CurrentDropletGuid = droplet.Guid;
        var types = JsonSerializer.Deserialize<Dictionary<string, string>>(droplet.ProcessTypes) ?? [];
        var existing = await db.Processes.Where(p => p.AppGuid == app.Guid).Select(p => p.Type).ToListAsync(ct);
        foreach (var type in types.Keys.Except(existing))
        {
            db.Processes.Add(new ProcessEntity
            {
                AppGuid = app.Guid,
                Type = type,
                Instances = 0,
                MemoryMb = ProcessLimits.DefaultMemoryMb,
                DiskMb = ProcessLimits.DefaultDiskMb,
                HealthCheckType = type == ProcessLimits.WebType ? HealthCheckTypes.Port : HealthCheckTypes.Process,
            });
        }
    }
}
