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
using Ravioli.Core.Tenancy;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Apis;

public sealed record TaskResult(string? FailureReason);

public sealed record TaskResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, int SequenceId, string Name, string Command, string State,
    int MemoryInMb, int DiskInMb, TaskResult Result, string DropletGuid, TaskRelationships Relationships, IReadOnlyDictionary<string, Link> Links);

public sealed record TaskRelationships(ToOne App);

public sealed record CreateTaskRequest(string? Command, string? Name, int? MemoryInMb, int? DiskInMb);

/// <summary>One-off tasks run from the app's current droplet (`rav run-task`), in Cloud Foundry's v3 shape.</summary>
public static class TasksApi
{
    public static RouteGroupBuilder MapTasksApi(this RouteGroupBuilder v3)
    {
        v3.MapPost("/apps/{guid}/tasks", CreateAsync).WithTags("Tasks").Accepts<CreateTaskRequest>("application/json");
        v3.MapGet("/apps/{guid}/tasks", ListAsync).WithTags("Tasks");
        v3.MapGet("/tasks/{guid}", GetAsync).WithTags("Tasks");
        v3.MapPost("/tasks/{guid}/actions/cancel", CancelAsync).WithTags("Tasks");
        return v3;
    }

    private static TaskResource Present(HttpRequest request, TaskEntity t) => new(
        t.Guid, t.CreatedAt, t.UpdatedAt, t.SequenceId, t.Name, t.Command, t.State, t.MemoryMb, t.DiskMb,
        new TaskResult(t.FailureReason), t.DropletGuid, new TaskRelationships(ToOne.Of(t.AppGuid)),
        new Dictionary<string, Link>
        {
            ["self"] = Urls.To(request, $"/v3/tasks/{t.Guid}"),
            ["app"] = Urls.To(request, $"/v3/apps/{t.AppGuid}"),
            ["cancel"] = Urls.To(request, $"/v3/tasks/{t.Guid}/actions/cancel"),
        });

    private static async Task<Created<TaskResource>> CreateAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, RunSpecs runs, CancellationToken ct)
    {
        var app = await Visible.AppAsync(db, caller, guid, ct);
        var body = await JsonBody.ReadAsync<CreateTaskRequest>(request);
        Visible.Require(caller.IsSpaceDeveloper(app.SpaceGuid), $"You need the space_developer role in '{app.Space!.Name}' to run tasks.");
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(body.Command))
        {
            errors.Add("command", "is required");
        }
        else if (body.Command.Length > ProcessLimits.MaxCommandLength || body.Command.Contains('\0', StringComparison.Ordinal))
        {
            errors.Add("command", $"must be at most {ProcessLimits.MaxCommandLength} characters, without NUL");
        }
        if (body.Name is not null)
        {
            errors.Check("name", Names.CheckResourceName(body.Name));
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
        var memory = body.MemoryInMb ?? ProcessLimits.DefaultMemoryMb;
        var disk = body.DiskInMb ?? ProcessLimits.DefaultDiskMb;
        var quota = await db.Organizations.Where(o => o.Guid == app.Space!.OrganizationGuid).Select(o => o.Quota).FirstOrDefaultAsync(ct);
        if (quota?.PerProcessMemoryInMb is { } perProcess && memory > perProcess)
        {
            throw ApiProblem.Unprocessable($"Quota '{quota.Name}' allows at most {perProcess} MB per instance; the task asks for {memory} MB.");
        }
        var (spec, sealedSpec) = await runs.ForTaskAsync(db, app, body.Command!, memory, disk, ct);
        var sequence = (await db.Tasks.Where(t => t.AppGuid == app.Guid).MaxAsync(t => (int?)t.SequenceId, ct) ?? 0) + 1;
        var task = new TaskEntity
        {
            AppGuid = app.Guid,
            SequenceId = sequence,
            Name = body.Name ?? Guid.NewGuid().ToString("N")[..8],
            Command = body.Command!,
            State = TaskStates.Running,
            DropletGuid = spec.DropletGuid,
            MemoryMb = memory,
            DiskMb = disk,
            RunSpec = sealedSpec,
        };
        db.Tasks.Add(task);
        AuditLog.Record(db, caller, "audit.app.task.create", new("app", app.Guid, app.Name), app.Space!.OrganizationGuid, app.SpaceGuid,
            new { task_guid = task.Guid, name = task.Name, sequence_id = sequence });
        await OrganizationsApi.SaveUniqueAsync(db, "command", "another task was created for this app at the same moment; retry", ct);
        return TypedResults.Created($"/v3/tasks/{task.Guid}", Present(request, task));
    }

    private static async Task<Ok<Page<TaskResource>>> ListAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var app = await Visible.AppAsync(db, caller, guid, ct);
        var query = ListQuery.Parse(request, "states", "names");
        var source = db.Tasks.AsNoTracking().Where(t => t.AppGuid == app.Guid);
        source = source.WhereIn(query, "states", t => t.State);
        source = source.WhereIn(query, "names", t => t.Name);
        return TypedResults.Ok(await Lists.PageAsync(source, query, request, t => Present(request, t), ct));
    }

    private static async Task<TaskEntity> FindAsync(RavioliDb db, Caller caller, string guid, CancellationToken ct)
    {
        var apps = Visible.Apps(db, caller);
        return await db.Tasks.FirstOrDefaultAsync(t => t.Guid == guid && apps.Any(a => a.Guid == t.AppGuid), ct) ?? throw ApiProblem.NotFound("Task", guid);
    }

    private static async Task<Ok<TaskResource>> GetAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct) =>
        TypedResults.Ok(Present(request, await FindAsync(db, caller, guid, ct)));

    /// <summary>A cancelled task leaves the desired set at once; the node stops it (SIGTERM, then SIGKILL).</summary>
    private static async Task<Ok<TaskResource>> CancelAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var task = await FindAsync(db, caller, guid, ct);
        var app = await db.Apps.Include(a => a.Space).FirstAsync(a => a.Guid == task.AppGuid, ct);
        Visible.Require(caller.IsSpaceDeveloper(app.SpaceGuid), $"You need the space_developer role in '{app.Space!.Name}' to cancel tasks.");
        if (task.State != TaskStates.Running)
        {
            throw ApiProblem.Unprocessable($"Task {task.SequenceId} is already {task.State}.");
        }
        task.State = TaskStates.Failed;
        task.FailureReason = "task was cancelled";
        AuditLog.Record(db, caller, "audit.app.task.cancel", new("app", app.Guid, app.Name), app.Space!.OrganizationGuid, app.SpaceGuid, new { task_guid = task.Guid });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(Present(request, task));
    }
}
