using System.CommandLine;

namespace Ravioli.Cli.Commands.Routes;

/// <summary><c>rav map-route</c>: sends a route's traffic to an app, creating the route first when needed.</summary>
internal sealed class MapRouteCommand : RavCommand
{
    private readonly Argument<string> _app = new("APP_NAME") { Description = "App to map the route to" };
    private readonly Argument<string> _domain = new("DOMAIN") { Description = "Domain of the route" };
    private readonly RouteOptions _route = new();

    public MapRouteCommand(CliSession session)
        : base(session, "map-route", "Map a route to an app (creating the route if needed)")
    {
        Command.Arguments.Add(_app);
        Command.Arguments.Add(_domain);
        _route.AddTo(Command);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var (host, path) = _route.Read(parseResult);
        var app = await Session.Resolve.AppAsync(space, parseResult.GetRequiredValue(_app), cancellationToken);
        var domain = await Session.Resolve.DomainAsync(parseResult.GetRequiredValue(_domain), cancellationToken);
        var url = Routing.Url(host, domain.Name, path);
        Ui.Say($"Mapping route {url} to app {app.Name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        var (route, created) = await Routing.EnsureAsync(Api, space, host, domain, path, cancellationToken);
        if (created)
        {
            Ui.Say($"Created route {url}.");
        }

        await Routing.MapAsync(Api, route, app, cancellationToken);
        Ui.Ok();
        Ui.Result(route.Raw);
    }
}
