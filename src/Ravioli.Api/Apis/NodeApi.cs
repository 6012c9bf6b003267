using Ravioli.Core.Faults;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Http;
using Ravioli.Api.Runs;
using Ravioli.Core.Security;
using Ravioli.Core.Apps;
using Ravioli.Store;
using Ravioli.Store.Blobs;

namespace Ravioli.Api.Apis;

/// <summary>
/// What the node agent reads: the whole desired set, level-triggered (the node compares and acts on the
/// difference), with an ETag so an unchanged set costs one cheap request. Not for users: node token only.
/// </summary>
public static class NodeApi
{
    public static IEndpointRouteBuilder MapNodeApi(this IEndpointRouteBuilder app)
    {
        var node = app.MapGroup("/internal/v1").WithTags("Node (internal)").AllowAnonymous().ExcludeFromDescription();
        node.AddEndpointFilter(async (context, next) =>
        {
            var token = context.HttpContext.RequestServices.GetService(typeof(NodeToken)) as NodeToken;
            if (token is null || !token.MatchesHeader(context.HttpContext.Request.Headers.Authorization.ToString()))
            {
                throw ApiProblem.Unauthenticated("This endpoint is for the node agent and needs its token.");
            }
            return await next(context);
        });
        node.MapGet("/desired", DesiredAsync);
        node.MapGet("/droplets/{sha256}", Droplet);
        return app;
    }

    public static async Task<DesiredState> BuildAsync(RavioliDb db, RunSpecs runs, CancellationToken ct)
    {
        var rows = await db.Processes.AsNoTracking()
            .Join(db.Apps.Include(a => a.Space), p => p.AppGuid, a => a.Guid, (p, a) => new { Process = p, App = a })
            .Where(x => x.App.State == AppStates.Started && x.Process.RunSpec != null && x.Process.Instances > 0)
            .OrderBy(x => x.Process.Guid)
            .ToListAsync(ct);
        var appGuids = rows.Select(r => r.App.Guid).Distinct().ToArray();
        var routes = await db.RouteMappings.AsNoTracking().Where(m => appGuids.Contains(m.AppGuid))
            .Join(db.Routes.Include(r => r.Domain), m => m.RouteGuid, r => r.Guid, (m, r) => new { m.AppGuid, m.ProcessType, r.Host, r.Path, Domain = r.Domain!.Name })
            .ToListAsync(ct);
        var processes = rows.Select(x => new DesiredProcess(
            x.Process.Guid, x.App.Guid, x.App.Name, x.App.SpaceGuid, x.App.Space!.OrganizationGuid, x.Process.Type,
            x.Process.Instances, x.Process.RunGeneration, runs.Read(x.Process)!,
            [.. routes.Where(r => r.AppGuid == x.App.Guid && r.ProcessType == x.Process.Type)
                .Select(r => new DesiredRoute(r.Host.Length == 0 ? r.Domain : $"{r.Host}.{r.Domain}", r.Path))
                .OrderBy(r => r.Host, StringComparer.Ordinal).ThenBy(r => r.Path, StringComparer.Ordinal)])).ToList();
        var tasks = (await db.Tasks.AsNoTracking().Where(t => t.State == TaskStates.Running)
                .Join(db.Apps, t => t.AppGuid, a => a.Guid, (t, a) => new { Task = t, App = a })
                .OrderBy(x => x.Task.Guid).ToListAsync(ct))
            .Select(x => new DesiredTask(x.Task.Guid, x.App.Guid, x.App.Name, x.App.SpaceGuid, x.Task.Name, runs.ReadTask(x.Task)))
            .ToList();
        var etag = Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(new { processes, tasks }, JsonBody.Options)))[..32];
        return new DesiredState(etag, processes, tasks);
    }

    /// <summary>The longest a node may hold a watch open; it asks again at once, so this only bounds idle connections.</summary>
    public static readonly TimeSpan MaxWatch = TimeSpan.FromSeconds(30);

    /// <summary>How often a held watch re-reads the set anyway, for writes that do not ring the signal.</summary>
    private static readonly TimeSpan WatchRecheck = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The desired set, or 304 if it still has the node's ETag. With <c>?wait=N</c> (seconds, at most 30) an unchanged
    /// set is not answered at once: the request is held until a committed write changes it or the time is up — a
    /// watch, like Kubernetes' list-and-watch, so a push reaches the node in milliseconds rather than at its next poll.
    /// </summary>
    private static async Task<IResult> DesiredAsync(HttpContext context, RavioliDb db, RunSpecs runs, DesiredStateSignal signal,
        IHostApplicationLifetime lifetime, int? wait, CancellationToken ct)
    {
        if (wait is < 0 || wait > (int)MaxWatch.TotalSeconds)
        {
            throw ApiProblem.BadRequest($"wait must be a whole number of seconds from 0 to {(int)MaxWatch.TotalSeconds}.");
        }
        var known = context.Request.Headers.IfNoneMatch.ToString();
        var changed = signal.Next;
        var state = await BuildAsync(db, runs, ct);
        if (wait > 0 && known == $"\"{state.Etag}\"")
        {
            // Stopping the control plane ends held watches at once (a 304), so shutdown never waits for them.
            using var held = CancellationTokenSource.CreateLinkedTokenSource(ct, lifetime.ApplicationStopping);
            var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(wait.Value);
            while (known == $"\"{state.Etag}\"" && DateTimeOffset.UtcNow < deadline && !held.IsCancellationRequested)
            {
                var left = deadline - DateTimeOffset.UtcNow;
                await Task.WhenAny(changed, Task.Delay(left < WatchRecheck ? left : WatchRecheck, held.Token)).ConfigureAwait(false);
                if (held.IsCancellationRequested)
                {
                    break;
                }
                changed = signal.Next;
                db.ChangeTracker.Clear();
                state = await BuildAsync(db, runs, ct);
            }
        }
        var etag = $"\"{state.Etag}\"";
        context.Response.Headers.ETag = etag;
        if (known == etag)
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        // A changed desired set about to reach the node (it pulls): a crash here leaves the node on its last set until it reads again.
        FaultPoints.Reach("desired.changed-served");
        return TypedResults.Ok(state);
    }

    private static Microsoft.AspNetCore.Http.HttpResults.FileStreamHttpResult Droplet(string sha256, BlobStore blobs)
    {
        if (sha256.Length != 64 || !sha256.All(Uri.IsHexDigit) || !blobs.Exists(sha256.ToLowerInvariant()))
        {
            throw new ApiProblem(404, "not-found", "Not found", $"No droplet with checksum {sha256}.");
        }
        return TypedResults.Stream(blobs.OpenRead(sha256.ToLowerInvariant()), "application/gzip", enableRangeProcessing: true);
    }
}
