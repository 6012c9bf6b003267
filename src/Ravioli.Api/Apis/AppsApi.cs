using Ravioli.Core.Faults;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Audit;
using Ravioli.Api.Builds;
using Ravioli.Api.Auth;
using Ravioli.Api.Http;
using Ravioli.Api.Runs;
using Ravioli.Api.Secrets;
using Ravioli.Core.Apps;
using Ravioli.Core.Tenancy;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Apis;

public sealed record LifecycleData(IReadOnlyList<string>? Buildpacks, string? Stack);

public sealed record Lifecycle(string? Type, LifecycleData? Data);

public sealed record AppResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string Name, string State, Lifecycle Lifecycle,
    AppRelationships Relationships, IReadOnlyDictionary<string, Link> Links);

public sealed record AppRelationships(ToOne Space);

public sealed record AppRelationshipsRequest(Relationship? Space);

public sealed record CreateAppRequest(string? Name, AppRelationshipsRequest? Relationships, Dictionary<string, string>? EnvironmentVariables, Lifecycle? Lifecycle);

public sealed record UpdateAppRequest(string? Name, Lifecycle? Lifecycle);

public sealed record EnvironmentVariablesRequest(Dictionary<string, string?>? Var);

public sealed record EnvironmentVariablesResource(IReadOnlyDictionary<string, string> Var, IReadOnlyDictionary<string, Link> Links);

public static class AppsApi
{
    public const string DefaultStack = "ravioli-bookworm";

    public static RouteGroupBuilder MapAppsApi(this RouteGroupBuilder v3)
    {
        var apps = v3.MapGroup("/apps").WithTags("Apps");
        apps.MapGet("/", ListAsync);
        apps.MapPost("/", CreateAsync).Accepts<CreateAppRequest>("application/json");
        apps.MapGet("/{guid}", GetAsync);
        apps.MapPatch("/{guid}", UpdateAsync).Accepts<UpdateAppRequest>("application/json");
        apps.MapDelete("/{guid}", DeleteAsync);
        apps.MapGet("/{guid}/environment_variables", GetEnvironmentAsync);
        apps.MapGet("/{guid}/env", GetFullEnvironmentAsync);
        apps.MapPatch("/{guid}/environment_variables", UpdateEnvironmentAsync).Accepts<EnvironmentVariablesRequest>("application/json");
        apps.MapGet("/{guid}/logs", LogsAsync);
        apps.MapPost("/{guid}/actions/start", (string guid, HttpRequest r, Caller c, RavioliDb db, RunSpecs runs, CancellationToken ct) => ActAsync(guid, "start", r, c, db, runs, ct));
        apps.MapPost("/{guid}/actions/stop", (string guid, HttpRequest r, Caller c, RavioliDb db, RunSpecs runs, CancellationToken ct) => ActAsync(guid, "stop", r, c, db, runs, ct));
        apps.MapPost("/{guid}/actions/restart", (string guid, HttpRequest r, Caller c, RavioliDb db, RunSpecs runs, CancellationToken ct) => ActAsync(guid, "restart", r, c, db, runs, ct));
        return v3;
    }

    private static AppResource Present(HttpRequest request, AppEntity a) => new(
        a.Guid, a.CreatedAt, a.UpdatedAt, a.Name, a.State,
        new Lifecycle(a.LifecycleType, new LifecycleData(JsonSerializer.Deserialize<List<string>>(a.Buildpacks) ?? [], a.Stack)),
        new AppRelationships(ToOne.Of(a.SpaceGuid)),
        new Dictionary<string, Link>
        {
            ["self"] = Urls.To(request, $"/v3/apps/{a.Guid}"),
            ["space"] = Urls.To(request, $"/v3/spaces/{a.SpaceGuid}"),
            ["environment_variables"] = Urls.To(request, $"/v3/apps/{a.Guid}/environment_variables"),
            ["processes"] = Urls.To(request, $"/v3/apps/{a.Guid}/processes"),
            ["droplets"] = Urls.To(request, $"/v3/apps/{a.Guid}/droplets"),
            ["current_droplet"] = Urls.To(request, $"/v3/apps/{a.Guid}/droplets/current"),
            ["start"] = Urls.To(request, $"/v3/apps/{a.Guid}/actions/start"),
            ["stop"] = Urls.To(request, $"/v3/apps/{a.Guid}/actions/stop"),
        });

    private static async Task<Ok<Page<AppResource>>> ListAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var query = ListQuery.Parse(request, "names", "guids", "space_guids", "organization_guids");
        var source = Visible.Apps(db, caller).AsNoTracking();
        source = source.WhereIn(query, "names", a => a.Name);
        source = source.WhereIn(query, "guids", a => a.Guid);
        source = source.WhereIn(query, "space_guids", a => a.SpaceGuid);
        source = source.WhereIn(query, "organization_guids", a => a.Space!.OrganizationGuid);
        return TypedResults.Ok(await Lists.PageAsync(source, query, request, a => Present(request, a), ct));
    }

    private static async Task<Created<AppResource>> CreateAsync(HttpRequest request, Caller caller, RavioliDb db, SecretBox secrets, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<CreateAppRequest>(request);
        var errors = new FieldErrors();
        errors.Check("name", Names.CheckResourceName(body.Name));
        CheckLifecycle(body.Lifecycle, errors);
        foreach (var name in body.EnvironmentVariables?.Keys ?? Enumerable.Empty<string>())
        {
            errors.Check($"environment_variables.{name}", Names.CheckEnvironmentVariableName(name));
        }
        errors.ThrowIfAny();
        var space = await Visible.RelatedAsync(Visible.Spaces(db, caller), body.Relationships?.Space?.Data?.Guid, "relationships.space.data.guid", "space", ct);
        Visible.Require(caller.IsSpaceDeveloper(space.Guid), $"You need the space_developer role in '{space.Name}' to create apps.");
        var message = $"an app named '{body.Name}' already exists in space '{space.Name}'";
        if (await db.Apps.AnyAsync(a => a.SpaceGuid == space.Guid && a.Name == body.Name, ct))
        {
            throw ApiProblem.Invalid("name", message);
        }
        await CheckAppQuotaAsync(db, space.OrganizationGuid, ct);
        var app = new AppEntity
        {
            Name = body.Name!,
            SpaceGuid = space.Guid,
            State = AppStates.Stopped,
            LifecycleType = "buildpack",
            Buildpacks = JsonSerializer.Serialize(body.Lifecycle?.Data?.Buildpacks ?? []),
            Stack = body.Lifecycle?.Data?.Stack ?? DefaultStack,
            EnvironmentVariables = secrets.Seal(JsonSerializer.Serialize(body.EnvironmentVariables ?? [])),
        };
        db.Apps.Add(app);
        // As in Cloud Foundry, the web process shares the app's guid.
        db.Processes.Add(new ProcessEntity
        {
            Guid = app.Guid,
            AppGuid = app.Guid,
            Type = ProcessLimits.WebType,
            Instances = 1,
            MemoryMb = ProcessLimits.DefaultMemoryMb,
            DiskMb = ProcessLimits.DefaultDiskMb,
            HealthCheckType = HealthCheckTypes.Port,
        });
        AuditLog.Record(db, caller, "audit.app.create", new("app", app.Guid, app.Name), space.OrganizationGuid, space.Guid,
            new { name = app.Name, environment_variable_names = body.EnvironmentVariables?.Keys.Order().ToList() ?? [] });
        await OrganizationsApi.SaveUniqueAsync(db, "name", message, ct);
        FaultPoints.Reach("push.app-created");
        app.Space = space;
        return TypedResults.Created($"/v3/apps/{app.Guid}", Present(request, app));
    }

    private static async Task CheckAppQuotaAsync(RavioliDb db, string organizationGuid, CancellationToken ct)
    {
        var quota = await db.Organizations.Where(o => o.Guid == organizationGuid).Select(o => o.Quota).FirstOrDefaultAsync(ct);
        if (quota?.TotalApps is { } limit && await db.Apps.CountAsync(a => a.Space!.OrganizationGuid == organizationGuid, ct) >= limit)
        {
            throw ApiProblem.Unprocessable($"The organization's quota '{quota.Name}' allows {limit} apps and they are all in use. Delete an app or ask an admin for a larger quota.");
        }
    }

    private static void CheckLifecycle(Lifecycle? lifecycle, FieldErrors errors)
    {
        if (lifecycle is null)
        {
            return;
        }
        if (lifecycle.Type is not null and not "buildpack")
        {
            errors.Add("lifecycle.type", "only 'buildpack' is supported");
        }
        var buildpacks = lifecycle.Data?.Buildpacks ?? [];
        for (var i = 0; i < buildpacks.Count; i++)
        {
            errors.Check($"lifecycle.data.buildpacks[{i}]", Names.CheckResourceName(buildpacks[i]));
        }
        if (lifecycle.Data?.Stack is { } stack)
        {
            errors.Check("lifecycle.data.stack", Names.CheckResourceName(stack));
        }
    }

    private static async Task<Ok<AppResource>> GetAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct) =>
        TypedResults.Ok(Present(request, await Visible.AppAsync(db, caller, guid, ct)));

    private static async Task<Ok<AppResource>> UpdateAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var app = await Visible.AppAsync(db, caller, guid, ct);
        var body = await JsonBody.ReadAsync<UpdateAppRequest>(request);
        Visible.Require(caller.IsSpaceDeveloper(app.SpaceGuid), $"You need the space_developer role in '{app.Space!.Name}' to change apps.");
        var errors = new FieldErrors();
        if (body.Name is not null)
        {
            errors.Check("name", Names.CheckResourceName(body.Name));
        }
        CheckLifecycle(body.Lifecycle, errors);
        errors.ThrowIfAny();
        var message = $"an app named '{body.Name}' already exists in space '{app.Space!.Name}'";
        if (body.Name is not null && body.Name != app.Name && await db.Apps.AnyAsync(a => a.SpaceGuid == app.SpaceGuid && a.Name == body.Name, ct))
        {
            throw ApiProblem.Invalid("name", message);
        }
        app.Name = body.Name ?? app.Name;
        if (body.Lifecycle?.Data?.Buildpacks is { } buildpacks)
        {
            app.Buildpacks = JsonSerializer.Serialize(buildpacks);
        }
        app.Stack = body.Lifecycle?.Data?.Stack ?? app.Stack;
        AuditLog.Record(db, caller, "audit.app.update", new("app", app.Guid, app.Name), app.Space.OrganizationGuid, app.SpaceGuid, body);
        await OrganizationsApi.SaveUniqueAsync(db, "name", message, ct);
        return TypedResults.Ok(Present(request, app));
    }

    private static async Task<NoContent> DeleteAsync(string guid, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var app = await Visible.AppAsync(db, caller, guid, ct);
        Visible.Require(caller.IsSpaceDeveloper(app.SpaceGuid), $"You need the space_developer role in '{app.Space!.Name}' to delete apps.");
        // Its bindings outlive it just long enough to be unbound at their brokers (user-provided ones have nothing to undo).
        foreach (var binding in await db.ServiceBindings.Include(b => b.Instance).Where(b => b.AppGuid == app.Guid).ToListAsync(ct))
        {
            if (binding.Instance!.Type == Brokering.InstanceTypes.UserProvided)
            {
                db.ServiceBindings.Remove(binding);
            }
            else
            {
                ServiceBindingsApi.MarkForDeletion(db, binding, caller.UserGuid);
            }
        }
        db.Apps.Remove(app);
        AuditLog.Record(db, caller, "audit.app.delete-request", new("app", app.Guid, app.Name), app.Space!.OrganizationGuid, app.SpaceGuid);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// start: run the current droplet; stop: run nothing; restart: a new generation of every process, which the
    /// node rolls out one instance at a time (new instance healthy first, then the old one drained), so it costs no downtime.
    /// </summary>
    private static async Task<Ok<AppResource>> ActAsync(string guid, string action, HttpRequest request, Caller caller, RavioliDb db, RunSpecs runs, CancellationToken ct)
    {
        var app = await Visible.AppAsync(db, caller, guid, ct);
        Visible.Require(caller.IsSpaceDeveloper(app.SpaceGuid), $"You need the space_developer role in '{app.Space!.Name}' to {action} apps.");
        if (action is "start" or "restart")
        {
            foreach (var process in await db.Processes.Where(p => p.AppGuid == app.Guid).ToListAsync(ct))
            {
                await ProcessQuotas.CheckAsync(db, app.Space!.OrganizationGuid, process, process.Instances, process.MemoryMb, ct);
            }
            // Starting an already started app keeps its generation: start is idempotent, restart is not.
            if (action == "restart" || app.State != AppStates.Started)
            {
                await runs.FreezeAsync(db, app, ct);
            }
            app.State = AppStates.Started;
        }
        else
        {
            app.State = AppStates.Stopped;
        }
        AuditLog.Record(db, caller, $"audit.app.{action}", new("app", app.Guid, app.Name), app.Space!.OrganizationGuid, app.SpaceGuid);
        await db.SaveChangesAsync(ct);
        // Committed, the client not yet told: the node picks the new generation up from the desired set regardless.
        FaultPoints.Reach($"{action}.committed");
        return TypedResults.Ok(Present(request, app));
    }

    /// <summary>
    /// The app's log lines (app output, router access lines, instance lifecycle) as NDJSON: the recent ones,
    /// and with follow=true every new one until the client leaves. Readable by every role that sees the app.
    /// </summary>
    private static async Task LogsAsync(string guid, HttpContext context, Caller caller, RavioliDb db, NodeClient node, BuildLogs builds, CancellationToken ct)
    {
        var query = ListQuery.Parse(context.Request, "recent", "follow", "lines");
        var app = await Visible.AppAsync(db, caller, guid, ct);
        var follow = query.Single("follow") is "true";
        var lines = 100;
        if (query.Single("lines") is { } raw && (!int.TryParse(raw, System.Globalization.CultureInfo.InvariantCulture, out lines) || lines is < 1 or > 10_000))
        {
            throw ApiProblem.Invalid("lines", "must be a whole number from 1 to 10000");
        }
        context.Response.ContentType = "application/x-ndjson";
        await context.Response.StartAsync(ct);
        async Task WriteAsync(LogLine line)
        {
            await context.Response.WriteAsync(JsonSerializer.Serialize(line, JsonBody.Options) + "\n", ct);
            await context.Response.Body.FlushAsync(ct);
        }
        try
        {
            // Recent lines of every source, in time order: staging (kept here) and what the node saw.
            var stagingPath = builds.StagingPathOf(app.Guid);
            var staged = ReadStaging(stagingPath);
            var seen = staged.Count;
            var recent = staged.TakeLast(lines).ToList();
            await foreach (var line in node.LogsAsync(app.Guid, follow: false, lines, ct))
            {
                recent.Add(line);
            }
            foreach (var line in recent.OrderBy(l => l.Timestamp).TakeLast(lines))
            {
                await WriteAsync(line);
            }
            if (!follow)
            {
                return;
            }
            // Then both sources live, merged as they come.
            var live = System.Threading.Channels.Channel.CreateUnbounded<LogLine>();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            // The node's stream sets the life of a follow: when it ends (the node is gone), so does this one.
            var fromNode = Task.Run(async () =>
            {
                try
                {
                    await foreach (var line in node.LogsAsync(app.Guid, follow: true, 0, stop.Token))
                    {
                        await live.Writer.WriteAsync(line, stop.Token);
                    }
                }
                finally
                {
                    live.Writer.TryComplete();
                }
            }, stop.Token);
            var fromStaging = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var all = ReadStaging(stagingPath);
                    // The file was trimmed (it keeps its last lines): start over from what it holds now.
                    if (all.Count < seen)
                    {
                        seen = 0;
                    }
                    foreach (var line in all.Skip(seen))
                    {
                        await live.Writer.WriteAsync(line, stop.Token);
                    }
                    seen = all.Count;
                    await Task.Delay(250, stop.Token);
                }
            }, stop.Token);
            await foreach (var line in live.Reader.ReadAllAsync(ct))
            {
                await WriteAsync(line);
            }
            await stop.CancelAsync();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The reader left; a follow ends this way.
        }
    }

    /// <summary>The app's complete staging lines; a last line still being written is left for the next read.</summary>
    private static List<LogLine> ReadStaging(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        string text;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(stream))
        {
            text = reader.ReadToEnd();
        }
        var complete = text.LastIndexOf('\n');
        return complete < 0 ? [] : [.. text[..complete].Split('\n')
            .Where(raw => raw.Length > 0)
            .Select(raw => JsonSerializer.Deserialize<BuildLogs.StagingLine>(raw)!)
            .Select(staged => new LogLine(staged.Timestamp, "STG", "0", "out", staged.Message))];
    }

    private static async Task<Ok<EnvironmentVariablesResource>> GetEnvironmentAsync(
        string guid, HttpRequest request, Caller caller, RavioliDb db, SecretBox secrets, CancellationToken ct)
    {
        var app = await Visible.AppAsync(db, caller, guid, ct);
        Visible.Require(caller.IsSpaceDeveloper(app.SpaceGuid), "Only space developers may read an app's environment variables: they often hold secrets.");
        return TypedResults.Ok(PresentEnvironment(request, app, ReadEnvironment(secrets, app)));
    }

    /// <summary>What the app's next start gets: its own variables, VCAP_SERVICES and VCAP_APPLICATION (Cloud Foundry's /env).</summary>
    private static async Task<IResult> GetFullEnvironmentAsync(string guid, Caller caller, RavioliDb db, SecretBox secrets, RunSpecs runs, CancellationToken ct)
    {
        var app = await Visible.AppAsync(db, caller, guid, ct);
        Visible.Require(caller.IsSpaceDeveloper(app.SpaceGuid), "Only space developers may read an app's environment: it holds its services' credentials.");
        var env = await runs.EnvironmentAsync(db, app, ct);
        return TypedResults.Ok(new Dictionary<string, object?>
        {
            ["environment_variables"] = ReadEnvironment(secrets, app),
            ["system_env_json"] = new Dictionary<string, object?> { ["VCAP_SERVICES"] = System.Text.Json.Nodes.JsonNode.Parse(env["VCAP_SERVICES"]) },
            ["application_env_json"] = new Dictionary<string, object?> { ["VCAP_APPLICATION"] = System.Text.Json.Nodes.JsonNode.Parse(env["VCAP_APPLICATION"]) },
        });
    }

    private static async Task<Ok<EnvironmentVariablesResource>> UpdateEnvironmentAsync(
        string guid, HttpRequest request, Caller caller, RavioliDb db, SecretBox secrets, CancellationToken ct)
    {
        var app = await Visible.AppAsync(db, caller, guid, ct);
        var body = await JsonBody.ReadAsync<EnvironmentVariablesRequest>(request);
        Visible.Require(caller.IsSpaceDeveloper(app.SpaceGuid), $"You need the space_developer role in '{app.Space!.Name}' to change environment variables.");
        if (body.Var is null)
        {
            throw ApiProblem.Invalid("var", "is required: an object of NAME: \"value\" (or null to remove)");
        }
        var errors = new FieldErrors();
        foreach (var name in body.Var.Keys)
        {
            errors.Check($"var.{name}", Names.CheckEnvironmentVariableName(name));
        }
        errors.ThrowIfAny();
        var env = ReadEnvironment(secrets, app);
        foreach (var (name, value) in body.Var)
        {
            if (value is null)
            {
                env.Remove(name);
            }
            else
            {
                env[name] = value;
            }
        }
        app.EnvironmentVariables = secrets.Seal(JsonSerializer.Serialize(env));
        // Names only: values are secrets.
        AuditLog.Record(db, caller, "audit.app.update", new("app", app.Guid, app.Name), app.Space!.OrganizationGuid, app.SpaceGuid,
            new { environment_variables_changed = body.Var.Keys.Order().ToList() });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(PresentEnvironment(request, app, env));
    }

    private static Dictionary<string, string> ReadEnvironment(SecretBox secrets, AppEntity app) =>
        app.EnvironmentVariables.Length == 0 ? [] : JsonSerializer.Deserialize<Dictionary<string, string>>(secrets.Open(app.EnvironmentVariables)) ?? [];

    private static EnvironmentVariablesResource PresentEnvironment(HttpRequest request, AppEntity app, Dictionary<string, string> env) =>
        new(env, new Dictionary<string, Link>
        {
            ["self"] = Urls.To(request, $"/v3/apps/{app.Guid}/environment_variables"),
            ["app"] = Urls.To(request, $"/v3/apps/{app.Guid}"),
        });
}
