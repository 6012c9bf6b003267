using System.CommandLine;

namespace Ravioli.Cli.Commands.Apps;

/// <summary><c>rav start</c>: runs an app's current droplet and waits until its web instances are up.</summary>
internal sealed class StartCommand : RavCommand
{
    private readonly Argument<string> _name = new("APP_NAME") { Description = "App to start" };

    public StartCommand(CliSession session)
        : base(session, "start", "Start an app and wait until its instances run")
    {
        Command.Arguments.Add(_name);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        var app = await Session.Resolve.AppAsync(space, name, cancellationToken);
        if (AppDetails.IsStarted(app))
        {
            Ui.Warn($"App {app.Name} is already started.");
            Ui.Ok();
            Ui.Result(app.Raw);
            return;
        }

        Ui.Say($"Starting app {app.Name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        Ui.Blank();
        app = await AppStartup.StartAsync(Session, app, cancellationToken);
        await AppStartup.WaitAsync(Session, app, rolling: false, cancellationToken);
        Ui.Blank();
        var view = await AppDetails.LoadAsync(Session, app, cancellationToken);
        AppDetails.Print(Ui, view);
        Ui.Result(AppDetails.ToJson(view));
    }
}
