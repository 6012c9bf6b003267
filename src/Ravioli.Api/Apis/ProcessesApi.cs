using Ravioli.Core.Faults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Audit;
using Ravioli.Api.Auth;
using Ravioli.Api.Http;
using Ravioli.Api.Runs;
using Ravioli.Core.Apps;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Apis;

public sealed record HealthCheckData(int? Timeout, int? InvocationTimeout, string? Endpoint);

public sealed record HealthCheck(string? Type, HealthCheckData? Data);

public sealed record ProcessResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string Type, string? Command, int Instances, int MemoryInMb, int DiskInMb,
    HealthCheck HealthCheck, ProcessRelationships Relationships, IReadOnlyDictionary<string, Link> Links);

public sealed record ProcessRelationships(ToOne App);

public sealed record ScaleRequest(int? Instances, int? MemoryInMb, int? DiskInMb);

public sealed record UpdateProcessRequest(string? Command, HealthCheck? HealthCheck);

public static class ProcessesApi
{
    public static RouteGroupBuilder MapProcessesApi(this RouteGroupBuilder v3)
    {
        var processes = v3.MapGroup("/processes").WithTags("Processes");
        processes.MapGet("/", ListAsync);
        processes.MapGet("/{guid}", GetAsync);
        processes.MapPatch("/{guid}", UpdateAsync).Accepts<UpdateProcessRequest>("application/json");
        processes.MapPost("/{guid}/actions/scale", ScaleAsync).Accepts<ScaleRequest>("application/json");
        processes.MapGet("/{guid}/stats", StatsAsync);
        v3.MapGet("/apps/{guid}/processes", ListForAppAsync).WithTags("Processes");
        v3.MapGet("/apps/{guid}/processes/{type}", GetByTypeAsync).WithTags("Processes");
        v3.MapPost("/apps/{guid}/processes/{type}/actions/scale", ScaleByTypeAsync).WithTags("Processes").Accepts<ScaleRequest>("application/json");
        return v3;
    }

    internal static ProcessResource Present(HttpRequest request, ProcessEntity p) => new(
        p.Guid, p.CreatedAt, p.UpdatedAt, p.Type, p.Command, p.Instances, p.MemoryMb, p.DiskMb,
        new HealthCheck(p.HealthCheckType, new HealthCheckData(p.HealthCheckTimeoutSeconds, p.HealthCheckInvocationTimeoutSeconds, p.HealthCheckEndpoint)),
        new ProcessRelationships(ToOne.Of(p.AppGuid)),
        new Dictionary<string, Link>
        {
            ["self"] = Urls.To(request, $"/v3/processes/{p.Guid}"),
            ["scale"] = Urls.To(request, $"/v3/processes/{p.Guid}/actions/scale"),
            ["app"] = Urls.To(request, $"/v3/apps/{p.AppGuid}"),
            ["stats"] = Urls.To(request, $"/v3/processes/{p.Guid}/stats"),
        });

    private static IQueryable<ProcessEntity> VisibleProcesses(RavioliDb db, Caller caller)
    {
        var apps = Visible.Apps(db, caller);
        return db.Processes.Where(p => apps.Any(a => a.Guid == p.AppGuid));
    }

    private static async Task<(ProcessEntity Process, AppEntity App)> FindAsync(RavioliDb db, Caller caller, string guid, CancellationToken ct)
    {
        var process = await VisibleProcesses(db, caller).FirstOrDefaultAsync(p => p.Guid == guid, ct) ?? throw ApiProblem.NotFound("Process", guid);
        return (process, await db.Apps.Include(a => a.Space).FirstAsync(a => a.Guid == process.AppGuid, ct));
    }

    private static async Task<(ProcessEntity Process, AppEntity App)> FindByTypeAsync(RavioliDb db, Caller caller, string appGuid, string type, CancellationToken ct)
    {
        var app = await Visible.AppAsync(db, caller, appGuid, ct);
        var process = await db.Processes.FirstOrDefaultAsync(p => p.AppGuid == app.Guid && p.Type == type, ct)
            ?? throw new ApiProblem(404, "not-found", "Not found", $"App '{app.Name}' has no '{type}' process.");
        return (process, app);
    }

    private static async Task<Ok<Page<ProcessResource>>> ListAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var query = ListQuery.Parse(request, "guids", "types", "app_guids", "space_guids");
        var source = VisibleProcesses(db, caller).AsNoTracking();
        source = source.WhereIn(query, "guids", p => p.Guid);
        source = source.WhereIn(query, "types", p => p.Type);
        source = source.WhereIn(query, "app_guids", p => p.AppGuid);
        if (query.Filter("space_guids") is { } spaces)
        {
            source = source.Where(p => db.Apps.Any(a => a.Guid == p.AppGuid && spaces.Contains(a.SpaceGuid)));
        }
        return TypedResults.Ok(await Lists.PageAsync(source, query, request, p => Present(request, p), ct));
    }

    private static async Task<Ok<Page<ProcessResource>>> ListForAppAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var app = await Visible.AppAsync(db, caller, guid, ct);
        var query = ListQuery.Parse(request);
        return TypedResults.Ok(await Lists.PageAsync(db.Processes.AsNoTracking().Where(p => p.AppGuid == app.Guid), query, request, p => Present(request, p), ct));
    }

    private static async Task<Ok<ProcessResource>> GetAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct) =>
        TypedResults.Ok(Present(request, (await FindAsync(db, caller, guid, ct)).Process));

    private static async Task<Ok<ProcessResource>> GetByTypeAsync(string guid, string type, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct) =>
        TypedResults.Ok(Present(request, (await FindByTypeAsync(db, caller, guid, type, ct)).Process));

    /// <summary>One entry per desired instance index, from what the node observes; while a restart rolls out, the newest generation wins.</summary>
    private static async Task<Ok<object>> StatsAsync(string guid, Caller caller, RavioliDb db, NodeClient node, TimeProvider time, CancellationToken ct)
    {
        var (process, app) = await FindAsync(db, caller, guid, ct);
        var observed = app.State == AppStates.Started ? await node.InstancesAsync(process.Guid, ct) : [];
        var now = time.GetUtcNow();
        var count = Math.Max(process.Instances, observed.Count == 0 ? 0 : observed.Max(i => i.Index) + 1);
        var resources = Enumerable.Range(0, app.State == AppStates.Started ? count : process.Instances).Select(index =>
        {
            var instance = observed.Where(i => i.Index == index).OrderByDescending(i => i.Generation).ThenBy(i => i.State == "RUNNING" ? 0 : 1).FirstOrDefault();
            return new
            {
                type = process.Type,
                index,
                state = instance?.State ?? "DOWN",
                host = instance is null ? null : "127.0.0.1",
                instance_ports = instance?.Port is { } port ? new[] { new { @internal = port } } : [],
                uptime = instance?.StartedAt is { } started && instance.State == "RUNNING" ? (long)(now - started).TotalSeconds : 0,
                mem_quota = (long)process.MemoryMb * 1024 * 1024,
                disk_quota = (long)process.DiskMb * 1024 * 1024,
                usage = instance is null ? null : new { time = now, cpu = instance.CpuPercent / 100, mem = instance.MemoryBytes, disk = instance.DiskBytes },
                details = instance?.State == "CRASHED" ? instance.LastCrashReason : null,
            };
        }).ToList();
        return TypedResults.Ok<object>(new { resources });
    }

    private static async Task<Ok<ProcessResource>> UpdateAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var (process, app) = await FindAsync(db, caller, guid, ct);
        var body = await JsonBody.ReadAsync<UpdateProcessRequest>(request);
        Visible.Require(caller.IsSpaceDeveloper(app.SpaceGuid), $"You need the space_developer role in '{app.Space!.Name}' to change processes.");
        var errors = new FieldErrors();
        if (body.Command is { Length: > ProcessLimits.MaxCommandLength })
        {
            errors.Add("command", $"must be at most {ProcessLimits.MaxCommandLength} characters");
        }
        if (body.Command is not null && body.Command.Contains('\0', StringComparison.Ordinal))
        {
            errors.Add("command", "must not contain NUL characters");
        }
        var check = body.HealthCheck;
        var type = check?.Type ?? process.HealthCheckType;
        if (!HealthCheckTypes.All.Contains(type))
        {
            errors.Add("health_check.type", $"must be one of {string.Join(", ", HealthCheckTypes.All)}");
        }
        var endpoint = check?.Data?.Endpoint ?? process.HealthCheckEndpoint;
        if (type == HealthCheckTypes.Http && endpoint is not null && (!endpoint.StartsWith('/') || endpoint.Length > 1024 || endpoint.Any(char.IsControl)))
        {
            errors.Add("health_check.data.endpoint", "must be a path starting with '/', at most 1024 characters");
        }
        if (check?.Data?.Timeout is { } timeout && timeout is < 1 or > ProcessLimits.MaxStartTimeoutSeconds)
        {
            errors.Add("health_check.data.timeout", $"must be from 1 to {ProcessLimits.MaxStartTimeoutSeconds} seconds");
        }
        if (check?.Data?.InvocationTimeout is { } invocation && invocation is < 1 or > 60)
        {
            errors.Add("health_check.data.invocation_timeout", "must be from 1 to 60 seconds");
        }
        errors.ThrowIfAny();
        if (body.Command is not null)
        {
            // An empty command goes back to the droplet's, as `cf push -c null` does.
            process.Command = body.Command.Length == 0 ? null : body.Command;
        }
        process.HealthCheckType = type;
        process.HealthCheckEndpoint = type == HealthCheckTypes.Http ? endpoint ?? "/" : null;
        process.HealthCheckTimeoutSeconds = check?.Data?.Timeout ?? process.HealthCheckTimeoutSeconds;
        process.HealthCheckInvocationTimeoutSeconds = check?.Data?.InvocationTimeout ?? process.HealthCheckInvocationTimeoutSeconds;
        AuditLog.Record(db, caller, "audit.app.process.update", new("process", process.Guid, $"{app.Name}/{process.Type}"), app.Space!.OrganizationGuid, app.SpaceGuid,
            new { process.Type, command_changed = body.Command is not null, health_check = check });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(Present(request, process));
    }

    private static async Task<Ok<ProcessResource>> ScaleAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, RunSpecs runs, CancellationToken ct)
    {
        var (process, app) = await FindAsync(db, caller, guid, ct);
        return TypedResults.Ok(Present(request, await ScaleCoreAsync(request, caller, db, runs, process, app, ct)));
    }

    private static async Task<Ok<ProcessResource>> ScaleByTypeAsync(string guid, string type, HttpRequest request, Caller caller, RavioliDb db, RunSpecs runs, CancellationToken ct)
    {
        var (process, app) = await FindByTypeAsync(db, caller, guid, type, ct);
        return TypedResults.Ok(Present(request, await ScaleCoreAsync(request, caller, db, runs, process, app, ct)));
    }

    private static async Task<ProcessEntity> ScaleCoreAsync(HttpRequest request, Caller caller, RavioliDb db, RunSpecs runs, ProcessEntity process, AppEntity app, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<ScaleRequest>(request);
        Visible.Require(caller.IsSpaceDeveloper(app.SpaceGuid), $"You need the space_developer role in '{app.Space!.Name}' to scale apps.");
        var errors = new FieldErrors();
        if (body.Instances is < 0 or > ProcessLimits.MaxInstances)
        {
            errors.Add("instances", $"must be from 0 to {ProcessLimits.MaxInstances}");
        }
        if (body.MemoryInMb is < 1 or > ProcessLimits.MaxMemoryMb)
        {
            errors.Add("memory_in_mb", $"must be from 1 to {ProcessLimits.MaxMemoryMb}");
        }
        if (body.DiskInMb is < 1 or > ProcessLimits.MaxDiskMb)
        {
            errors.Add("disk_in_mb", $"must be from 1 to {ProcessLimits.MaxDiskMb}");
        }
        errors.ThrowIfAny();
        var instances = body.Instances ?? process.Instances;
        var memory = body.MemoryInMb ?? process.MemoryMb;
        var limitsChanged = memory != process.MemoryMb || (body.DiskInMb ?? process.DiskMb) != process.DiskMb;
        if (app.State == AppStates.Started)
        {
            await ProcessQuotas.CheckAsync(db, app.Space!.OrganizationGuid, process, instances, memory, ct);
        }
        process.Instances = instances;
        process.MemoryMb = memory;
        process.DiskMb = body.DiskInMb ?? process.DiskMb;
        // New limits need new instances (a cgroup's memory is set at start), so they start a new generation, as `cf scale -m` restarts.
        if (limitsChanged && app.State == AppStates.Started)
        {
            await runs.FreezeAsync(db, app, ct);
        }
        AuditLog.Record(db, caller, "audit.app.process.scale", new("process", process.Guid, $"{app.Name}/{process.Type}"), app.Space!.OrganizationGuid, app.SpaceGuid,
            new { process.Type, instances = body.Instances, memory_in_mb = body.MemoryInMb, disk_in_mb = body.DiskInMb });
        await db.SaveChangesAsync(ct);
        // Committed, neither the client nor the node told yet: the node reads the new count from the desired set on its next poll.
        FaultPoints.Reach("scale.committed");
        return process;
    }
}
