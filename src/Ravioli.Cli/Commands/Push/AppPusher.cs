using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Ravioli.Cli.Commands.Apps;
using Ravioli.Cli.Commands.Routes;
using Ravioli.Cli.Commands.ServiceBindings;
using Ravioli.Cli.Configuration;
using Ravioli.Cli.Http;
using Ravioli.Cli.Manifests;
using Ravioli.Cli.Model;
using Ravioli.Cli.Output;
using Ravioli.Cli.Packaging;

namespace Ravioli.Cli.Commands.Push;

/// <summary>
/// Pushes one app as <c>cf push</c> does: app, processes, routes, package, build, droplet, start, and a
/// wait for the instances. Everything that can be checked without changing anything (the files, the
/// routes' domains) is checked first, so a mistake does not leave a half-made app behind.
/// </summary>
internal sealed class AppPusher(CliSession session, TargetRef org, TargetRef space, RouterAddress router)
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan PackagePollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan PackageTimeout = TimeSpan.FromMinutes(5);
    private const int RandomRouteAttempts = 3;

    private IReadOnlyList<DomainResource>? _domains;

    private Ui Ui => session.Ui;

    private ApiClient Api => session.Api;

    public async Task<AppView> PushAsync(PushPlan plan, CancellationToken cancellationToken)
    {
        Ui.Say($"Pushing app {plan.Name} to org {org.Name} / space {space.Name} as {session.UserName}...");
        Ui.Say("Packaging files to upload...");
        using var archive = await AppArchive.CreateAsync(plan.Source, cancellationToken);
        var routes = plan.NoRoute || plan.Routes is not { Count: > 0 }
            ? []
            : await ParseRoutesAsync(plan.Routes, cancellationToken);
        var services = await FindServicesAsync(plan, cancellationToken);

        var app = await EnsureAppAsync(plan, cancellationToken);
        if (plan.Web.HasScale || plan.Web.HasProcessUpdate)
        {
            var web = Json.Resource<ProcessResource>(await Api.GetAsync($"/v3/apps/{app.Guid}/processes/web", cancellationToken));
            await ApplyAsync(web, plan.Web, cancellationToken);
        }

        if (!plan.NoRoute)
        {
            await MapRoutesAsync(app, plan, routes, cancellationToken);
        }

        // Bound before staging, as cf does, so the buildpack and the first start already see VCAP_SERVICES.
        await BindServicesAsync(app, services, cancellationToken);

        var package = await UploadAsync(app, archive, cancellationToken);
        Ui.Blank();
        var droplet = await Staging.StageAsync(session, app, package, plan.Buildpacks, cancellationToken);
        await Staging.SetCurrentDropletAsync(session, app.Guid, droplet, cancellationToken);

        // Other process types exist once the droplet that declares them is current.
        await ApplyOtherProcessesAsync(app, plan, cancellationToken);
        Ui.Blank();
        var wasStarted = AppDetails.IsStarted(app);
        if (plan.NoStart)
        {
            if (wasStarted)
            {
                app = await AppStartup.StopAsync(session, app, cancellationToken);
            }

            Ui.Say($"App {app.Name} is staged and stays stopped (--no-start). Start it with 'rav start {app.Name}'.");
        }
        else
        {
            // A re-push returns once the new droplet's instances run, not while the old ones still answer.
            var restartedAt = Stopwatch.GetTimestamp();
            app = wasStarted
                ? await AppStartup.RestartAsync(session, app, cancellationToken)
                : await AppStartup.StartAsync(session, app, cancellationToken);
            await AppStartup.WaitAsync(session, app, rolling: wasStarted, cancellationToken, wasStarted ? restartedAt : null);
        }

        Ui.Blank();
        var view = await AppDetails.LoadAsync(session, app, cancellationToken);
        AppDetails.Print(Ui, view, route => router.UrlOf(AppDetails.RouteText(route)));
        return view;
    }

    private async Task<AppResource> EnsureAppAsync(PushPlan plan, CancellationToken cancellationToken)
    {
        var existing = await session.Resolve.FindAppAsync(space.Guid, plan.Name, cancellationToken);
        if (existing is null)
        {
            Ui.Say($"Creating app {plan.Name}...");
            var body = new JsonObject
            {
                ["name"] = plan.Name,
                ["relationships"] = new JsonObject { ["space"] = new JsonObject { ["data"] = new JsonObject { ["guid"] = space.Guid } } },
            };
            if (plan.Env.Count > 0)
            {
                body["environment_variables"] = EnvObject(plan.Env);
            }

            if (plan.Buildpacks is not null)
            {
                body["lifecycle"] = Lifecycle(plan.Buildpacks);
            }

            return Json.Resource<AppResource>(await Api.PostAsync("/v3/apps", body, cancellationToken));
        }

        Ui.Say($"Updating app {plan.Name}...");

        // Like cf, a manifest's env adds and overwrites variables; ones it does not name stay.
        if (plan.Env.Count > 0)
        {
            await Api.PatchAsync($"/v3/apps/{existing.Guid}/environment_variables", new JsonObject { ["var"] = EnvObject(plan.Env) }, cancellationToken);
        }

        if (plan.Buildpacks is not null)
        {
            existing = Json.Resource<AppResource>(
                await Api.PatchAsync($"/v3/apps/{existing.Guid}", new JsonObject { ["lifecycle"] = Lifecycle(plan.Buildpacks) }, cancellationToken));
        }

        return existing;
    }

    private async Task ApplyAsync(ProcessResource process, ProcessSettings settings, CancellationToken cancellationToken)
    {
        if (settings.HasScale)
        {
            var scale = new JsonObject();
            if (settings.Instances is { } instances)
            {
                scale["instances"] = instances;
            }

            if (settings.MemoryMb is { } memory)
            {
                scale["memory_in_mb"] = memory;
            }

            if (settings.DiskMb is { } disk)
            {
                scale["disk_in_mb"] = disk;
            }

            await Api.PostAsync($"/v3/processes/{process.Guid}/actions/scale", scale, cancellationToken);
        }

        if (settings.HasProcessUpdate)
        {
            var update = new JsonObject();
            if (settings.Command is { } command)
            {
                update["command"] = command;
            }

            var data = new JsonObject();
            if (settings.HealthCheckEndpoint is { } endpoint)
            {
                data["endpoint"] = endpoint;
            }

            if (settings.Timeout is { } timeout)
            {
                data["timeout"] = timeout;
            }

            if (settings.InvocationTimeout is { } invocation)
            {
                data["invocation_timeout"] = invocation;
            }

            if (settings.HealthCheckType is not null || data.Count > 0)
            {
                var check = new JsonObject();
                if (settings.HealthCheckType is { } type)
                {
                    check["type"] = type;
                }

                if (data.Count > 0)
                {
                    check["data"] = data;
                }

                update["health_check"] = check;
            }

            await Api.PatchAsync($"/v3/processes/{process.Guid}", update, cancellationToken);
        }
    }

    private async Task ApplyOtherProcessesAsync(AppResource app, PushPlan plan, CancellationToken cancellationToken)
    {
        foreach (var entry in plan.OtherProcesses.Where(p => p.Settings.HasScale || p.Settings.HasProcessUpdate))
        {
            ProcessResource process;
            try
            {
                process = Json.Resource<ProcessResource>(
                    await Api.GetAsync($"/v3/apps/{app.Guid}/processes/{Resolver.Escape(entry.Type)}", cancellationToken));
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.NotFound)
            {
                Ui.Warn($"Process type '{entry.Type}' is not in the droplet (no Procfile line or buildpack declares it); its manifest settings are skipped.");
                continue;
            }

            await ApplyAsync(process, entry.Settings, cancellationToken);
        }
    }

    /// <summary>Splits "host.domain/path" at the longest domain the user may use, as cf does.</summary>
    private async Task<List<(string Host, DomainResource Domain, string Path)>> ParseRoutesAsync(IReadOnlyList<string> routes, CancellationToken cancellationToken)
    {
        var domains = await DomainsAsync(cancellationToken);
        var parsed = new List<(string Host, DomainResource Domain, string Path)>();
        foreach (var route in routes)
        {
            var slash = route.IndexOf('/', StringComparison.Ordinal);
            var name = (slash < 0 ? route : route[..slash]).Trim().ToLowerInvariant();
            var path = slash < 0 ? string.Empty : RouteOptions.NormalizePath(route[slash..]);
            var domain = domains
                .Where(d => name == d.Name || name.EndsWith("." + d.Name, StringComparison.Ordinal))
                .MaxBy(d => d.Name.Length)
                ?? throw new CliException(
                    $"Route {route} is not on a domain you can use. Run 'rav domains' to see them (an org manager can add one with 'rav create-domain').");
            parsed.Add((name == domain.Name ? string.Empty : name[..^(domain.Name.Length + 1)], domain, path));
        }

        return parsed;
    }

    private async Task MapRoutesAsync(AppResource app, PushPlan plan, List<(string Host, DomainResource Domain, string Path)> routes, CancellationToken cancellationToken)
    {
        if (routes.Count == 0)
        {
            // cf gives an app a route only when it has none: a push never takes away routes mapped by hand.
            var current = await Api.ListAsync($"/v3/apps/{app.Guid}/routes", cancellationToken);
            if (current.Resources.Count > 0)
            {
                return;
            }

            var domain = (await DomainsAsync(cancellationToken)).FirstOrDefault(d => d.IsShared)
                ?? throw new CliException("There is no shared domain to give the app a route on. Ask an admin to create one ('rav create-shared-domain'), or push with --no-route.");
            if (plan.RandomRoute)
            {
                await MapRandomRouteAsync(app, domain, cancellationToken);
                return;
            }

            routes = [(RouteHosts.FromAppName(app.Name), domain, string.Empty)];
        }

        Ui.Say("Mapping routes...");
        foreach (var (host, domain, path) in routes)
        {
            var (route, _) = await Routing.EnsureAsync(Api, space, host, domain, path, cancellationToken);
            await Routing.MapAsync(Api, route, app, cancellationToken);
        }
    }

    private async Task MapRandomRouteAsync(AppResource app, DomainResource domain, CancellationToken cancellationToken)
    {
        Ui.Say("Mapping routes...");
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (route, _) = await Routing.EnsureAsync(Api, space, RouteHosts.Random(app.Name), domain, string.Empty, cancellationToken);
                await Routing.MapAsync(Api, route, app, cancellationToken);
                return;
            }
            catch (CliException) when (attempt < RandomRouteAttempts)
            {
                // Another app drew the same words; draw again.
            }
        }
    }

    /// <summary>The manifest's service instances, looked up before anything changes: a misspelt name must not leave a half-pushed app.</summary>
    private async Task<List<(ServiceManifest Entry, ServiceInstanceResource Instance)>> FindServicesAsync(PushPlan plan, CancellationToken cancellationToken)
    {
        var found = new List<(ServiceManifest, ServiceInstanceResource)>();
        foreach (var entry in plan.Services)
        {
            var instance = await session.Resolve.FindServiceInstanceAsync(space.Guid, entry.Name, cancellationToken)
                ?? throw new CliException(
                    $"Service instance '{entry.Name}' (in the services of app {plan.Name}) not found in space '{space.Name}'. "
                    + $"Create it with 'rav create-service' or 'rav create-user-provided-service', or take it out of the manifest. Run 'rav services' to see the ones there.");
            found.Add((entry, instance));
        }

        return found;
    }

    /// <summary>Binds each service the app is not bound to yet, waiting for each bind to finish at the broker.</summary>
    private async Task BindServicesAsync(AppResource app, List<(ServiceManifest Entry, ServiceInstanceResource Instance)> services, CancellationToken cancellationToken)
    {
        foreach (var (entry, instance) in services)
        {
            Ui.Say($"Binding service instance {instance.Name} to app {app.Name}...");
            BindResult result;
            try
            {
                result = await AppBinder.BindAsync(session, app, instance, entry.Parameters, entry.BindingName, wait: true, cancellationToken);
            }
            catch (ApiException e)
            {
                throw new CliException($"Could not bind service instance {instance.Name} to app {app.Name}: {e.Message}", e);
            }

            if (result.AlreadyBound)
            {
                Ui.Say($"App {app.Name} is already bound to service instance {instance.Name}.");
            }
        }
    }

    private async Task<string> UploadAsync(AppResource app, AppArchive archive, CancellationToken cancellationToken)
    {
        var created = Json.Resource<PackageResource>(await Api.PostAsync(
            "/v3/packages",
            new JsonObject
            {
                ["type"] = "bits",
                ["relationships"] = new JsonObject { ["app"] = new JsonObject { ["data"] = new JsonObject { ["guid"] = app.Guid } } },
            },
            cancellationToken));
        var total = ByteSize.Format(archive.Size);
        var clock = Stopwatch.StartNew();
        var lastDrawn = -ProgressInterval;
        var package = Json.Resource<PackageResource>(await Api.UploadAsync(
            $"/v3/packages/{created.Guid}/upload",
            archive.ZipPath,
            "application/zip",
            sent =>
            {
                if (clock.Elapsed - lastDrawn >= ProgressInterval)
                {
                    lastDrawn = clock.Elapsed;
                    Ui.Progress($"Uploading {app.Name}... {ByteSize.Format(sent)} / {total}");
                }
            },
            cancellationToken));
        Ui.FinishProgress($"Uploading {app.Name}... {total} / {total}");
        Ui.Say($"Uploaded {total} ({archive.FileCount} files)");
        return (await WaitUntilReadyAsync(package, cancellationToken)).Guid;
    }

    /// <summary>A platform may check an upload after answering; wait for its verdict before staging.</summary>
    private async Task<PackageResource> WaitUntilReadyAsync(PackageResource package, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + PackageTimeout;
        while (!IsState(package, "READY"))
        {
            if (IsState(package, "FAILED") || IsState(package, "EXPIRED"))
            {
                throw new CliException($"The platform refused the upload: {package.Data?.Error ?? package.State}.");
            }

            if (DateTimeOffset.UtcNow >= deadline)
            {
                throw new CliException($"The upload was not processed within {PackageTimeout.TotalMinutes:0} minutes (package {package.Guid} is {package.State}). Try the push again.");
            }

            await Task.Delay(PackagePollInterval, cancellationToken);
            package = Json.Resource<PackageResource>(await Api.GetAsync($"/v3/packages/{package.Guid}", cancellationToken));
        }

        return package;
    }

    private async Task<IReadOnlyList<DomainResource>> DomainsAsync(CancellationToken cancellationToken)
        => _domains ??= [.. (await Api.ListAsync("/v3/domains", cancellationToken)).Resources.Select(Json.Resource<DomainResource>)];

    private static bool IsState(PackageResource package, string state) => string.Equals(package.State, state, StringComparison.OrdinalIgnoreCase);

    private static JsonObject EnvObject(IReadOnlyDictionary<string, string> env)
    {
        var node = new JsonObject();
        foreach (var (key, value) in env)
        {
            node[key] = value;
        }

        return node;
    }

    private static JsonObject Lifecycle(IReadOnlyList<string> buildpacks) => new()
    {
        ["type"] = "buildpack",
        ["data"] = new JsonObject { ["buildpacks"] = new JsonArray([.. buildpacks.Select(b => JsonValue.Create(b))]) },
    };
}
