using System.CommandLine;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Apps;

/// <summary><c>rav apps</c>: the apps in the targeted space, with their processes, sizes and routes.</summary>
internal sealed class AppsCommand : RavCommand
{
    private const int MaxParallelStats = 8;

    public AppsCommand(CliSession session)
        : base(session, "apps", "List the apps in the targeted space")
    {
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        Ui.Say($"Getting apps in org {org.Name} / space {space.Name} as {Session.UserName}...");
        Ui.Blank();
        var spaceGuid = Resolver.Escape(space.Guid);
        var apps = await Api.ListAsync($"/v3/apps?space_guids={spaceGuid}&order_by=name", cancellationToken);
        if (apps.Resources.Count == 0)
        {
            Ui.Say("No apps found.");
            Ui.Result(Json.Array(apps.Resources));
            return;
        }

        if (!Ui.JsonMode)
        {
            // One list call each for processes and routes; stats only for processes that should be running.
            var processes = (await Api.ListAsync($"/v3/processes?space_guids={spaceGuid}", cancellationToken)).Resources
                .Select(Json.Resource<ProcessResource>)
                .ToLookup(p => p.Relationships?.App?.Data?.Guid ?? string.Empty);
            var routes = (await Api.ListAsync($"/v3/routes?space_guids={spaceGuid}", cancellationToken)).Resources
                .Select(Json.Resource<RouteResource>)
                .SelectMany(r => (r.Destinations ?? []).Select(d => (App: d.App?.Guid ?? string.Empty, Url: AppDetails.RouteText(r))))
                .Distinct()
                .ToLookup(m => m.App, m => m.Url);

            // Stats are one request per running process; asking a few at a time keeps a big space quick.
            using var gate = new SemaphoreSlim(MaxParallelStats);
            var rows = await Task.WhenAll(apps.Resources.Select(Json.Resource<AppResource>).Select(async app =>
            {
                var views = await Task.WhenAll(AppDetails.InDisplayOrder(processes[app.Guid]).Select(async process =>
                {
                    await gate.WaitAsync(cancellationToken);
                    try
                    {
                        return await AppDetails.ViewAsync(Api, app, process, cancellationToken);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }));
                var main = views.FirstOrDefault()?.Process;
                return (IReadOnlyList<string>)
                [
                    app.Name,
                    AppDetails.State(app),
                    string.Join(", ", views.Select(v => $"{v.Process.Type}:{v.Counts}")),
                    main is null ? string.Empty : Limits.FormatMemory(main.MemoryInMb),
                    main is null ? string.Empty : Limits.FormatMemory(main.DiskInMb),
                    string.Join(", ", routes[app.Guid].Order(StringComparer.Ordinal)),
                ];
            }));

            Ui.Table(["name", "requested state", "processes", "memory", "disk", "routes"], rows);
        }

        Ui.Result(Json.Array(apps.Resources));
    }
}
