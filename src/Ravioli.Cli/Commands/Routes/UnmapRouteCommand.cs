using System.CommandLine;

namespace Ravioli.Cli.Commands.Routes;

/// <summary><c>rav unmap-route</c>: stops a route's traffic to an app; the route itself stays.</summary>
internal sealed class UnmapRouteCommand : RavCommand
{
    private readonly Argument<string> _app = new("APP_NAME") { Description = "App to unmap the route from" };
    private readonly Argument<string> _domain = new("DOMAIN") { Description = "Domain of the route" };
    private readonly RouteOptions _route = new();

    public UnmapRouteCommand(CliSession session)
        : base(session, "unmap-route", "Unmap a route from an app (the route stays)")
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
        Ui.Say($"Removing route {url} from app {app.Name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        var route = await Routing.FindAsync(Api, host, domain, path, cancellationToken)
            ?? throw new CliException($"Route {url} does not exist. Run 'rav routes' to see the routes in this space.");
        var destinations = (route.Destinations ?? []).Where(d => d.App?.Guid == app.Guid).ToList();
        if (destinations.Count == 0)
        {
            Ui.Warn($"Route {url} is not mapped to app {app.Name}.");
        }

        foreach (var destination in destinations)
        {
            await Api.DeleteAsync($"/v3/routes/{route.Guid}/destinations/{destination.Guid}", cancellationToken);
        }

        Ui.Ok();
        Ui.Result(await Api.GetAsync($"/v3/routes/{route.Guid}", cancellationToken));
    }
}
