using Ravioli.Core.Faults;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Audit;
using Ravioli.Api.Auth;
using Ravioli.Api.Builds;
using Ravioli.Api.Http;
using Ravioli.Core.Apps;
using Ravioli.Core.Tenancy;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Apis;

public sealed record BuildResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string State, string? Error, Lifecycle Lifecycle,
    GuidRef Package, GuidRef? Droplet, AuditActor CreatedBy, BuildRelationships Relationships, IReadOnlyDictionary<string, Link> Links);

public sealed record BuildRelationships(ToOne App);

public sealed record CreateBuildRequest(RelationshipData? Package, Lifecycle? Lifecycle);

public static class BuildsApi
{
    public static RouteGroupBuilder MapBuildsApi(this RouteGroupBuilder v3)
    {
        var builds = v3.MapGroup("/builds").WithTags("Builds");
        builds.MapPost("/", CreateAsync).Accepts<CreateBuildRequest>("application/json");
        builds.MapGet("/{guid}", GetAsync);
        builds.MapGet("/{guid}/log", LogAsync);
        v3.MapGet("/apps/{guid}/builds", ListForAppAsync).WithTags("Builds");
        return v3;
    }

    private static BuildResource Present(HttpRequest request, BuildEntity b) => new(
        b.Guid, b.CreatedAt, b.UpdatedAt, b.State, b.Error,
        new Lifecycle("buildpack", new LifecycleData(JsonSerializer.Deserialize<List<string>>(b.Buildpacks) ?? [], AppsApi.DefaultStack)),
        new GuidRef(b.PackageGuid), b.DropletGuid is null ? null : new GuidRef(b.DropletGuid),
        new AuditActor(b.CreatedByGuid, "user", b.CreatedByName), new BuildRelationships(ToOne.Of(b.AppGuid)),
        new Dictionary<string, Link>
        {
            ["self"] = Urls.To(request, $"/v3/builds/{b.Guid}"),
            ["app"] = Urls.To(request, $"/v3/apps/{b.AppGuid}"),
            ["log"] = Urls.To(request, $"/v3/builds/{b.Guid}/log"),
        });

    private static async Task<BuildEntity> FindAsync(RavioliDb db, Caller caller, string guid, CancellationToken ct)
    {
        var apps = Visible.Apps(db, caller);
        return await db.Builds.AsNoTracking().FirstOrDefaultAsync(b => b.Guid == guid && apps.Any(a => a.Guid == b.AppGuid), ct)
            ?? throw ApiProblem.NotFound("Build", guid);
    }

    private static async Task<Created<BuildResource>> CreateAsync(HttpRequest request, Caller caller, RavioliDb db, StagingService staging, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<CreateBuildRequest>(request);
        var packageGuid = body.Package?.Guid ?? throw ApiProblem.Invalid("package.guid", "is required");
        PackageEntity package;
        AppEntity app;
        try
        {
            (package, app) = await PackagesApi.FindAsync(db, caller, packageGuid, ct);
        }
        catch (ApiProblem e) when (e.Status == 404)
        {
            // Named in the body, so the body's fault (422), as for every other relationship; the URL was fine.
            throw ApiProblem.Invalid("package.guid", $"package '{packageGuid}' does not exist or you do not have access to it");
        }
        Visible.Require(caller.IsSpaceDeveloper(app.SpaceGuid), $"You need the space_developer role in '{app.Space!.Name}' to stage apps.");
        if (package.State != PackageStates.Ready)
        {
            throw ApiProblem.Unprocessable($"Package {package.Guid} is {package.State}; upload its bits before staging.");
        }
        var errors = new FieldErrors();
        if (body.Lifecycle?.Type is not (null or "buildpack"))
        {
            errors.Add("lifecycle.type", "only 'buildpack' is supported");
        }
        var requested = body.Lifecycle?.Data?.Buildpacks ?? JsonSerializer.Deserialize<List<string>>(app.Buildpacks) ?? [];
        for (var i = 0; i < requested.Count; i++)
        {
            errors.Check($"lifecycle.data.buildpacks[{i}]", Names.CheckResourceName(requested[i]));
        }
        errors.ThrowIfAny();
        var build = new BuildEntity
        {
            AppGuid = app.Guid,
            PackageGuid = package.Guid,
            State = BuildStates.Staging,
            Buildpacks = JsonSerializer.Serialize(requested),
            CreatedByGuid = caller.UserGuid,
            CreatedByName = caller.Username,
        };
        db.Builds.Add(build);
        AuditLog.Record(db, caller, "audit.app.build.create", new("app", app.Guid, app.Name), app.Space!.OrganizationGuid, app.SpaceGuid,
            new { build_guid = build.Guid, package_guid = package.Guid, buildpacks = requested });
        await db.SaveChangesAsync(ct);
        // Committed first: if the platform stops now, the STAGING build is picked up again at the next start.
        FaultPoints.Reach("staging.build-created");
        staging.Enqueue(build.Guid);
        return TypedResults.Created($"/v3/builds/{build.Guid}", Present(request, build));
    }

    private static async Task<Ok<BuildResource>> GetAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct) =>
        TypedResults.Ok(Present(request, await FindAsync(db, caller, guid, ct)));

    private static async Task<Ok<Page<BuildResource>>> ListForAppAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var app = await Visible.AppAsync(db, caller, guid, ct);
        var query = ListQuery.Parse(request, "states");
        var source = db.Builds.AsNoTracking().Where(b => b.AppGuid == app.Guid);
        source = source.WhereIn(query, "states", b => b.State);
        return TypedResults.Ok(await Lists.PageAsync(source, query, request, b => Present(request, b), ct));
    }

    /// <summary>The staging output as text: what is there, then (while the build stages) each new line as it is written.</summary>
    private static async Task LogAsync(string guid, HttpContext context, Caller caller, RavioliDb db, BuildLogs logs, CancellationToken ct)
    {
        var build = await FindAsync(db, caller, guid, ct);
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.StartAsync(ct);
        var path = logs.PathOf(build.Guid);
        long offset = 0;
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                // Read "done" before the file, so lines written just before completion are never missed.
                var finished = build.State != BuildStates.Staging || logs.IsComplete(build.Guid);
                if (File.Exists(path))
                {
                    await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    file.Seek(offset, SeekOrigin.Begin);
                    int read;
                    while ((read = await file.ReadAsync(buffer, ct)) > 0)
                    {
                        await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), ct);
                        offset += read;
                    }
                    await context.Response.Body.FlushAsync(ct);
                }
                if (finished)
                {
                    return;
                }
                await Task.Delay(100, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The reader left.
        }
    }
}
