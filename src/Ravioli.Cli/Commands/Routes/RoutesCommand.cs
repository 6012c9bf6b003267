using System.CommandLine;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Routes;

/// <summary><c>rav routes</c>: the routes in the targeted space and the apps they lead to.</summary>
internal sealed class RoutesCommand : RavCommand
{
    public RoutesCommand(CliSession session)
        : base(session, "routes", "List the routes in the targeted space")
    {
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        Ui.Say($"Getting routes for org {org.Name} / space {space.Name} as {Session.UserName}...");
        Ui.Blank();
        var spaceGuid = Resolver.Escape(space.Guid);
        var routes = await Api.ListAsync($"/v3/routes?space_guids={spaceGuid}", cancellationToken);
        if (routes.Resources.Count == 0)
        {
            Ui.Say("No routes found.");
        }
        else if (!Ui.JsonMode)
        {
            var domains = (await Api.ListAsync("/v3/domains", cancellationToken)).Resources
                .Select(Json.Resource<DomainResource>)
                .ToDictionary(d => d.Guid, d => d.Name, StringComparer.Ordinal);
            var apps = (await Api.ListAsync($"/v3/apps?space_guids={spaceGuid}", cancellationToken)).Resources
                .Select(Json.Resource<AppResource>)
                .ToDictionary(a => a.Guid, a => a.Name, StringComparer.Ordinal);
            Ui.Table(
                ["host", "domain", "path", "apps"],
                routes.Resources.Select(Json.Resource<RouteResource>).Select(r => (IReadOnlyList<string>)
                [
                    r.Host,
                    r.Relationships?.Domain?.Data?.Guid is { } domain ? domains.GetValueOrDefault(domain, domain) : string.Empty,
                    r.Path ?? string.Empty,
                    string.Join(", ", (r.Destinations ?? [])
                        .Select(d => d.App?.Guid is { } app ? apps.GetValueOrDefault(app, app) : string.Empty)
                        .Distinct()
                        .Order(StringComparer.Ordinal)),
                ]));
        }

        Ui.Result(Json.Array(routes.Resources));
    }
}
