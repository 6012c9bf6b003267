using System.CommandLine;
using System.Diagnostics;

namespace Ravioli.Cli.Commands.Apps;

/// <summary>
/// <c>rav restart</c>: a new generation of every process, rolled out one instance at a time by the
/// platform (each new instance healthy before an old one goes), so an app with 2+ instances stays up.
/// </summary>
internal sealed class RestartCommand : RavCommand
{
    private readonly Argument<string> _name = new("APP_NAME") { Description = "App to restart" };

    public RestartCommand(CliSession session)
        : base(session, "restart", "Restart an app, one instance at a time (no downtime with 2+ instances)")
    {
        Command.Arguments.Add(_name);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        var app = await Session.Resolve.AppAsync(space, name, cancellationToken);
        Ui.Say($"Restarting app {app.Name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        Ui.Blank();
        var wasStarted = AppDetails.IsStarted(app);
        var restartedAt = Stopwatch.GetTimestamp();
        app = await AppStartup.RestartAsync(Session, app, cancellationToken);
        await AppStartup.WaitAsync(Session, app, rolling: wasStarted, cancellationToken, restartedAt);
        Ui.Blank();
        var view = await AppDetails.LoadAsync(Session, app, cancellationToken);
        AppDetails.Print(Ui, view);
        Ui.Result(AppDetails.ToJson(view));
    }
}
