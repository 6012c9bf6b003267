using System.CommandLine;

namespace Ravioli.Cli.Commands.Apps;

/// <summary><c>rav stop</c>: stops every instance of an app; the app and its droplet stay.</summary>
internal sealed class StopCommand : RavCommand
{
    private readonly Argument<string> _name = new("APP_NAME") { Description = "App to stop" };

    public StopCommand(CliSession session)
        : base(session, "stop", "Stop an app")
    {
        Command.Arguments.Add(_name);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        var app = await Session.Resolve.AppAsync(space, name, cancellationToken);
        if (!AppDetails.IsStarted(app))
        {
            Ui.Warn($"App {app.Name} is already stopped.");
            Ui.Ok();
            Ui.Result(app.Raw);
            return;
        }

        Ui.Say($"Stopping app {app.Name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        app = await AppStartup.StopAsync(Session, app, cancellationToken);
        Ui.Ok();
        Ui.Result(app.Raw);
    }
}
