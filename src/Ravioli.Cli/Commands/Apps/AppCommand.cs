using System.CommandLine;

namespace Ravioli.Cli.Commands.Apps;

/// <summary><c>rav app</c>: one app's health and status: routes, droplet, and every instance of every process.</summary>
internal sealed class AppCommand : RavCommand
{
    private readonly Argument<string> _name = new("APP_NAME") { Description = "App to show" };

    public AppCommand(CliSession session)
        : base(session, "app", "Show an app's health and status: routes, processes and their instances")
    {
        Command.Arguments.Add(_name);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        Ui.Say($"Showing health and status for app {name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        Ui.Blank();
        var app = await Session.Resolve.AppAsync(space, name, cancellationToken);
        var view = await AppDetails.LoadAsync(Session, app, cancellationToken);
        AppDetails.Print(Ui, view);
        Ui.Result(AppDetails.ToJson(view));
    }
}
