using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Http;
using Ravioli.Api.Secrets;
using Ravioli.Core.Apps;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Runs;

/// <summary>
/// Freezes what a process generation runs with. Called by start, restart, restage and memory changes:
/// the node replaces instances when the generation changes, and only then picks up new env or droplets.
/// </summary>
public sealed class RunSpecs(SecretBox secrets, Brokering.ServiceEnvironment services, Microsoft.Extensions.Options.IOptions<RavioliApiOptions> options)
{
    public async Task FreezeAsync(RavioliDb db, AppEntity app, CancellationToken ct)
    {
        var droplet = await db.Droplets.AsNoTracking().FirstOrDefaultAsync(d => d.Guid == app.CurrentDropletGuid, ct)
            ?? throw ApiProblem.Unprocessable($"App '{app.Name}' has no staged droplet yet. Push it ('rav push') or stage a package first.");
        var processTypes = JsonSerializer.Deserialize<Dictionary<string, string>>(droplet.ProcessTypes) ?? [];
        var env = await EnvironmentAsync(db, app, ct);
        foreach (var process in await db.Processes.Where(p => p.AppGuid == app.Guid).ToListAsync(ct))
        {
            var command = process.Command ?? processTypes.GetValueOrDefault(process.Type);
            if (command is null)
            {
                if (process.Instances == 0)
                {
                    continue;
                }
                throw ApiProblem.Unprocessable($"The droplet has no start command for process type '{process.Type}'. Set one ('rav push -c COMMAND' or a Procfile).");
            }
            // Through the launcher, as Cloud Foundry does: .profile.d scripts set up PATH, PYTHONPATH and the like first.
            var spec = new RunSpec(
                droplet.Guid, droplet.BlobKey!, Staging.Droplets.DropletLauncher.Command(command),
                new Dictionary<string, string>(env) { ["MEMORY_LIMIT"] = $"{process.MemoryMb}m" },
                process.MemoryMb, process.DiskMb, process.HealthCheckType, process.HealthCheckEndpoint,
                process.HealthCheckTimeoutSeconds ?? ProcessLimits.DefaultStartTimeoutSeconds,
                process.HealthCheckInvocationTimeoutSeconds ?? ProcessLimits.DefaultInvocationTimeoutSeconds);
            process.RunSpec = secrets.Seal(JsonSerializer.Serialize(spec));
            process.RunGeneration++;
        }
    }

    /// <summary>What a task runs: the app's current droplet and environment, the task's own command and limits.</summary>
    public async Task<(RunSpec Spec, string Sealed)> ForTaskAsync(RavioliDb db, AppEntity app, string command, int memoryMb, int diskMb, CancellationToken ct)
    {
        var droplet = await db.Droplets.AsNoTracking().FirstOrDefaultAsync(d => d.Guid == app.CurrentDropletGuid, ct)
            ?? throw ApiProblem.Unprocessable($"App '{app.Name}' has no staged droplet yet, so there is nothing to run a task from. Push it first.");
        var env = await EnvironmentAsync(db, app, ct);
        env["MEMORY_LIMIT"] = $"{memoryMb}m";
        var spec = new RunSpec(droplet.Guid, droplet.BlobKey!, Staging.Droplets.DropletLauncher.Command(command), env, memoryMb, diskMb,
            Core.Apps.HealthCheckTypes.Process, null, ProcessLimits.DefaultStartTimeoutSeconds, ProcessLimits.DefaultInvocationTimeoutSeconds);
        return (spec, secrets.Seal(JsonSerializer.Serialize(spec)));
    }

    public RunSpec ReadTask(TaskEntity task) => JsonSerializer.Deserialize<RunSpec>(secrets.Open(task.RunSpec))!;

    public RunSpec? Read(ProcessEntity process) =>
        process.RunSpec is null ? null : JsonSerializer.Deserialize<RunSpec>(secrets.Open(process.RunSpec));

    /// <summary>The app's own variables plus what Cloud Foundry puts there for every instance (the node adds per-instance ones).</summary>
    public async Task<Dictionary<string, string>> EnvironmentAsync(RavioliDb db, AppEntity app, CancellationToken ct)
    {
        var env = app.EnvironmentVariables.Length == 0 ? [] : JsonSerializer.Deserialize<Dictionary<string, string>>(secrets.Open(app.EnvironmentVariables)) ?? [];
        var space = await db.Spaces.AsNoTracking().Include(s => s.Organization).FirstAsync(s => s.Guid == app.SpaceGuid, ct);
        var uris = await db.RouteMappings.Where(m => m.AppGuid == app.Guid)
            .Join(db.Routes.Include(r => r.Domain), m => m.RouteGuid, r => r.Guid, (m, r) => new { r.Host, r.Path, Domain = r.Domain!.Name })
            .ToListAsync(ct);
        var applicationUris = uris.Select(u => (u.Host.Length == 0 ? u.Domain : $"{u.Host}.{u.Domain}") + u.Path).Order().ToList();
        env["VCAP_APPLICATION"] = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["application_id"] = app.Guid,
            ["application_name"] = app.Name,
            ["application_uris"] = applicationUris,
            ["uris"] = applicationUris,
            ["name"] = app.Name,
            ["space_id"] = space.Guid,
            ["space_name"] = space.Name,
            ["organization_id"] = space.OrganizationGuid,
            ["organization_name"] = space.Organization!.Name,
            ["cf_api"] = $"http://127.0.0.1:{options.Value.ApiPort}",
            ["limits"] = new Dictionary<string, object?> { ["fds"] = 16384 },
        });
        // The platform's own: an app variable of the same name does not override its bindings (as in Cloud Foundry).
        env["VCAP_SERVICES"] = await services.VcapServicesAsync(db, app.Guid, ct);
        return env;
    }
}
