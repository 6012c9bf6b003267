using System.CommandLine;
using Ravioli.Cli.Commands.Apps;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Droplets;

/// <summary><c>rav droplets</c>: an app's staged droplets, newest first, marking the one it runs.</summary>
internal sealed class DropletsCommand : RavCommand
{
    private readonly Argument<string> _name = new("APP_NAME") { Description = "App whose droplets to list" };

    public DropletsCommand(CliSession session)
        : base(session, "droplets", "List an app's droplets (the current one is marked)")
    {
        Command.Arguments.Add(_name);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        Ui.Say($"Getting droplets of app {name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        Ui.Blank();
        var app = await Session.Resolve.AppAsync(space, name, cancellationToken);
        var droplets = await Api.ListAsync($"/v3/apps/{app.Guid}/droplets?order_by=-created_at", cancellationToken);
        if (droplets.Resources.Count == 0)
        {
            Ui.Say($"No droplets found. Run 'rav push {app.Name}' to stage one.");
        }
        else
        {
            var current = (await AppDetails.CurrentDropletAsync(Api, app.Guid, cancellationToken))?.Guid;
            Ui.Table(
                ["guid", "state", "created", "buildpack"],
                droplets.Resources.Select(Json.Resource<DropletResource>).Select(d => (IReadOnlyList<string>)
                [
                    d.Guid,
                    (d.State ?? "unknown").ToLowerInvariant() + (d.Guid == current ? " (current)" : string.Empty),
                    AppDetails.Timestamp(d.CreatedAt),
                    d.Buildpack ?? string.Empty,
                ]));
        }

        Ui.Result(Json.Array(droplets.Resources));
    }
}
