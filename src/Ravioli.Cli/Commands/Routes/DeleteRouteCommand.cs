using System.CommandLine;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.Routes;

/// <summary><c>rav delete-route</c>: deletes a route (and with it its mappings); one that is gone already is not an error.</summary>
internal sealed class DeleteRouteCommand : RavCommand
{
    private readonly Argument<string> _domain = new("DOMAIN") { Description = "Domain of the route" };
    private readonly RouteOptions _route = new();
    private readonly Option<bool> _force = ForceOption();

    public DeleteRouteCommand(CliSession session)
        : base(session, "delete-route", "Delete a route")
    {
        Command.Arguments.Add(_domain);
        _route.AddTo(Command);
        Command.Options.Add(_force);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var (host, path) = _route.Read(parseResult);
        var domain = await Session.Resolve.DomainAsync(parseResult.GetRequiredValue(_domain), cancellationToken);
        var url = Routing.Url(host, domain.Name, path);
        if (!Ui.Confirm($"Really delete the route {url}?", parseResult.GetValue(_force)))
        {
            Ui.Say("Delete cancelled.");
            return;
        }

        Ui.Say($"Deleting route {url} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        var route = await Routing.FindAsync(Api, host, domain, path, cancellationToken);
        if (route is null)
        {
            Ui.Warn($"Unable to delete. Route {url} does not exist.");
            Ui.Ok();
            Ui.Result(Json.Null);
            return;
        }

        await Api.DeleteAsync($"/v3/routes/{route.Guid}", cancellationToken);
        Ui.Ok();
        Ui.Result(route.Raw);
    }
}
