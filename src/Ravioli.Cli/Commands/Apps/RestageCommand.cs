using System.CommandLine;
using System.Diagnostics;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Apps;

/// <summary>
/// <c>rav restage</c>: stages the app's latest package again (new buildpacks, changed env that the build
/// reads), makes the new droplet current and restarts the app with it.
/// </summary>
internal sealed class RestageCommand : RavCommand
{
    private readonly Argument<string> _name = new("APP_NAME") { Description = "App to restage" };

    public RestageCommand(CliSession session)
        : base(session, "restage", "Stage an app's latest package again and restart it with the new droplet")
    {
        Command.Arguments.Add(_name);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        var app = await Session.Resolve.AppAsync(space, name, cancellationToken);
        Ui.Say($"Restaging app {app.Name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        Ui.Blank();
        var packages = await Api.ListAsync($"/v3/apps/{app.Guid}/packages?order_by=-created_at", cancellationToken);
        var package = packages.Resources.Select(Json.Resource<PackageResource>)
            .Where(p => string.Equals(p.State, "READY", StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(p => p.CreatedAt)
            .FirstOrDefault()
            ?? throw new CliException($"App {app.Name} has no uploaded package to stage. Push it first with 'rav push {app.Name}'.");

        var droplet = await Staging.StageAsync(Session, app, package.Guid, buildpacks: null, cancellationToken);
        await Staging.SetCurrentDropletAsync(Session, app.Guid, droplet, cancellationToken);
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
