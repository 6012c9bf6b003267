using System.CommandLine;

namespace Ravioli.Cli.Commands.Routes;

/// <summary><c>rav create-route</c>: reserves a route in the targeted space; one that is already there is not an error.</summary>
internal sealed class CreateRouteCommand : RavCommand
{
    private readonly Argument<string> _domain = new("DOMAIN") { Description = "Domain of the route, e.g. apps.localhost" };
    private readonly RouteOptions _route = new();

    public CreateRouteCommand(CliSession session)
        : base(session, "create-route", "Create a route in the targeted space")
    {
        Command.Arguments.Add(_domain);
        _route.AddTo(Command);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var (host, path) = _route.Read(parseResult);
        var domain = await Session.Resolve.DomainAsync(parseResult.GetRequiredValue(_domain), cancellationToken);
        var url = Routing.Url(host, domain.Name, path);
        Ui.Say($"Creating route {url} for org {org.Name} / space {space.Name} as {Session.UserName}...");
        var (route, created) = await Routing.EnsureAsync(Api, space, host, domain, path, cancellationToken);
        if (!created)
        {
            Ui.Warn($"Route {url} already exists.");
        }

        Ui.Ok();
        Ui.Result(route.Raw);
    }
}
