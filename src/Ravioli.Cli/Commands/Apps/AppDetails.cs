using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;
using Ravioli.Cli.Output;

namespace Ravioli.Cli.Commands.Apps;

/// <summary>A process with what its instances are doing; <c>Stats</c> is null when that could not be seen.</summary>
internal sealed record ProcessView(ProcessResource Process, IReadOnlyList<InstanceStats>? Stats, string? StatsProblem)
{
    /// <summary>"2/3": running of desired instances; "?/3" when the stats are unknown.</summary>
    public string Counts => $"{(Stats is null ? "?" : ProcessStats.CountRunning(Stats).ToString(CultureInfo.InvariantCulture))}/{Process.Instances.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>Everything <c>rav app</c> shows about one app.</summary>
internal sealed record AppView(AppResource App, IReadOnlyList<ProcessView> Processes, IReadOnlyList<RouteResource> Routes, DropletResource? Droplet);

/// <summary>Gathers and prints an app's health and status, for <c>rav app</c> and after start, restart and push.</summary>
internal static class AppDetails
{
    public static async Task<AppView> LoadAsync(CliSession session, AppResource app, CancellationToken cancellationToken)
    {
        var api = session.Api;
        var processes = await api.ListAsync($"/v3/apps/{app.Guid}/processes", cancellationToken);
        var views = new List<ProcessView>();
        foreach (var process in InDisplayOrder(processes.Resources.Select(Json.Resource<ProcessResource>)))
        {
            views.Add(await ViewAsync(api, app, process, cancellationToken));
        }

        var routes = await api.ListAsync($"/v3/apps/{app.Guid}/routes", cancellationToken);
        var droplet = await CurrentDropletAsync(api, app.Guid, cancellationToken);
        return new AppView(app, views, [.. routes.Resources.Select(Json.Resource<RouteResource>)], droplet);
    }

    /// <summary>A process and its instances; a stopped app, or a process scaled to 0, runs nothing and needs no stats.</summary>
    public static async Task<ProcessView> ViewAsync(ApiClient api, AppResource app, ProcessResource process, CancellationToken cancellationToken)
    {
        if (!IsStarted(app) || process.Instances == 0)
        {
            return new ProcessView(process, [], null);
        }

        var (stats, problem) = await ProcessStats.TryReadAsync(api, process.Guid, cancellationToken);
        return new ProcessView(process, stats, problem);
    }

    public static async Task<DropletResource?> CurrentDropletAsync(ApiClient api, string appGuid, CancellationToken cancellationToken)
    {
        try
        {
            return Json.Resource<DropletResource>(await api.GetAsync($"/v3/apps/{appGuid}/droplets/current", cancellationToken));
        }
        catch (ApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public static bool IsStarted(AppResource app) => string.Equals(app.State, "STARTED", StringComparison.OrdinalIgnoreCase);

    /// <summary>web first, as cf lists it, then the other types by name.</summary>
    public static IEnumerable<ProcessResource> InDisplayOrder(IEnumerable<ProcessResource> processes)
        => processes.OrderBy(p => p.Type == "web" ? 0 : 1).ThenBy(p => p.Type, StringComparer.Ordinal);

    public static string Timestamp(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string State(AppResource app) => (app.State ?? "unknown").ToLowerInvariant();

    /// <summary>Prints the header and one block per process; <paramref name="routeText"/> shows routes as URLs after a push.</summary>
    public static void Print(Ui ui, AppView view, Func<RouteResource, string>? routeText = null)
    {
        var app = view.App;
        var buildpacks = view.Droplet?.Buildpack is { Length: > 0 } detected
            ? detected
            : string.Join(", ", app.Lifecycle?.Data?.Buildpacks ?? []);
        ui.Fields(
        [
            new("name", app.Name),
            new("requested state", State(app)),
            new("routes", string.Join(", ", view.Routes.Select(routeText ?? RouteText))),
            new("last uploaded", view.Droplet is null ? "never" : Timestamp(view.Droplet.CreatedAt)),
            new("stack", app.Lifecycle?.Data?.Stack ?? string.Empty),
            new("buildpacks", buildpacks),
        ]);

        foreach (var process in view.Processes)
        {
            ui.Blank();
            PrintProcess(ui, process, view.Droplet);
        }
    }

    public static void PrintProcess(Ui ui, ProcessView view, DropletResource? droplet)
    {
        var process = view.Process;
        var command = process.Command
            ?? (droplet?.ProcessTypes is { } types && types.TryGetValue(process.Type, out var fromDroplet) ? fromDroplet : null);
        ui.Fields(
        [
            new("type", process.Type),
            new("instances", view.Counts),
            new("memory usage", Limits.FormatMemory(process.MemoryInMb)),
            new("disk", Limits.FormatMemory(process.DiskInMb)),
            new("start command", command ?? string.Empty),
        ]);

        if (view.Stats is null)
        {
            ui.Say($"Instance states unknown: {view.StatsProblem}");
        }
        else if (view.Stats.Count == 0)
        {
            ui.Say("There are no running instances of this process.");
        }
        else
        {
            ui.Table(["", "state", "since", "cpu", "memory", "disk", "details"], view.Stats.Select(InstanceRow));
        }
    }

    public static JsonElement ToJson(AppView view)
    {
        var processes = new JsonArray();
        foreach (var process in view.Processes)
        {
            var node = JsonNode.Parse(process.Process.Raw.GetRawText())!.AsObject();
            node["stats"] = process.Stats is null ? null : JsonSerializer.SerializeToNode(process.Stats, Json.Options);
            processes.Add(node);
        }

        var result = new JsonObject
        {
            ["app"] = JsonNode.Parse(view.App.Raw.GetRawText()),
            ["current_droplet"] = view.Droplet is null ? null : JsonNode.Parse(view.Droplet.Raw.GetRawText()),
            ["routes"] = new JsonArray([.. view.Routes.Select(r => JsonNode.Parse(r.Raw.GetRawText()))]),
            ["processes"] = processes,
        };
        return Json.ToElement(result);
    }

    public static string RouteText(RouteResource route) => route.Url ?? route.Host;

    private static IReadOnlyList<string> InstanceRow(InstanceStats stats)
    {
        var usage = stats.Usage;
        var since = usage?.Time is { } time && stats.Uptime is { } uptime ? Timestamp(time - TimeSpan.FromSeconds(uptime)) : string.Empty;
        var cpu = usage?.Cpu is { } share ? (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : string.Empty;
        return
        [
            $"#{stats.Index.ToString(CultureInfo.InvariantCulture)}",
            (stats.State ?? "unknown").ToLowerInvariant(),
            since,
            cpu,
            OfQuota(usage?.Mem, stats.MemQuota),
            OfQuota(usage?.Disk, stats.DiskQuota),
            stats.Details ?? string.Empty,
        ];
    }

    private static string OfQuota(long? used, long? quota) => (used, quota) switch
    {
        (null, _) => string.Empty,
        (var u, null) => ByteSize.Format(u.Value),
        var (u, q) => $"{ByteSize.Format(u.Value)} of {ByteSize.Format(q.Value)}",
    };
}
