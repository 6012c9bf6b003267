using System.CommandLine;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Apps;

/// <summary><c>rav delete</c>: deletes an app; with <c>-r</c> also the routes that lead only to it.</summary>
internal sealed class DeleteAppCommand : RavCommand
{
    private readonly Argument<string> _name = new("APP_NAME") { Description = "App to delete" };
    private readonly Option<bool> _force = ForceOption();
    private readonly Option<bool> _routes = new("--delete-routes", "-r") { Description = "Also delete the routes mapped only to this app" };

    public DeleteAppCommand(CliSession session)
        : base(session, "delete", "Delete an app (with -r, also the routes mapped only to it)")
    {
        Command.Arguments.Add(_name);
        Command.Options.Add(_force);
        Command.Options.Add(_routes);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        var deleteRoutes = parseResult.GetValue(_routes);
        var question = deleteRoutes ? $"Really delete the app {name} and its routes?" : $"Really delete the app {name}?";
        if (!Ui.Confirm(question, parseResult.GetValue(_force)))
        {
            Ui.Say("Delete cancelled.");
            return;
        }

        Ui.Say($"Deleting app {name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        var app = await Session.Resolve.FindAppAsync(space.Guid, name, cancellationToken);
        if (app is null)
        {
            // Deleting what is already gone succeeds, as in cf, so scripts can be re-run.
            Ui.Warn($"App {name} does not exist.");
            Ui.Ok();
            Ui.Result(Json.Null);
            return;
        }

        // Read the routes before the app goes: afterwards nothing says which ones led to it.
        var routes = deleteRoutes
            ? (await Api.ListAsync($"/v3/apps/{app.Guid}/routes", cancellationToken)).Resources.Select(Json.Resource<RouteResource>).ToList()
            : [];
        await Api.DeleteAsync($"/v3/apps/{app.Guid}", cancellationToken);
        foreach (var route in routes)
        {
            var url = AppDetails.RouteText(route);
            if ((route.Destinations ?? []).Any(d => d.App?.Guid != app.Guid))
            {
                Ui.Warn($"Route {url} is also mapped to other apps; kept.");
                continue;
            }

            Ui.Say($"Deleting route {url}...");
            await Api.DeleteAsync($"/v3/routes/{route.Guid}", cancellationToken);
        }

        Ui.Ok();
        Ui.Result(app.Raw);
    }
}
