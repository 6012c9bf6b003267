using System.CommandLine;
using Ravioli.Cli.Commands.Apps;

namespace Ravioli.Cli.Commands.Droplets;

/// <summary><c>rav set-droplet</c>: points an app at another of its droplets (a rollback); it runs from the next restart.</summary>
internal sealed class SetDropletCommand : RavCommand
{
    private readonly Argument<string> _name = new("APP_NAME") { Description = "App" };
    private readonly Argument<string> _droplet = new("DROPLET_GUID") { Description = "Droplet to make current (see 'rav droplets APP_NAME')" };

    public SetDropletCommand(CliSession session)
        : base(session, "set-droplet", "Make one of an app's droplets the current one (takes effect on restart)")
    {
        Command.Arguments.Add(_name);
        Command.Arguments.Add(_droplet);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        var droplet = parseResult.GetRequiredValue(_droplet).Trim();
        Ui.Say($"Setting app {name} to droplet {droplet} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        var app = await Session.Resolve.AppAsync(space, name, cancellationToken);
        try
        {
            await Staging.SetCurrentDropletAsync(Session, app.Guid, droplet, cancellationToken);
        }
        catch (Http.ApiException e) when (e.IsUnprocessable)
        {
            throw new CliException($"{e.Message}\nRun 'rav droplets {app.Name}' to see the droplets of {app.Name}.", e);
        }

        Ui.Ok();
        Ui.Blank();
        Ui.Say($"TIP: Use 'rav restart {app.Name}' to run the droplet.");
        Ui.Result(await Api.GetAsync($"/v3/apps/{app.Guid}/droplets/current", cancellationToken));
    }
}
