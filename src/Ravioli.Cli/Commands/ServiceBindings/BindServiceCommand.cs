using System.CommandLine;
using Ravioli.Cli.Commands.Env;
using Ravioli.Cli.Commands.Services;

namespace Ravioli.Cli.Commands.ServiceBindings;

/// <summary>
/// <c>rav bind-service</c>: gives an app a service instance's credentials, in its <c>VCAP_SERVICES</c> from
/// its next start on.
/// </summary>
internal sealed class BindServiceCommand : RavCommand
{
    private readonly Argument<string> _app = new("APP_NAME") { Description = "App to bind" };
    private readonly Argument<string> _instance = new("SERVICE_INSTANCE") { Description = "Service instance to bind it to" };
    private readonly Option<string?> _parameters = ServiceOptions.Parameters();
    private readonly Option<string?> _bindingName = new("--binding-name") { Description = "Name of the binding in VCAP_SERVICES (default: the instance's name)", HelpName = "BINDING_NAME" };
    private readonly Option<bool> _wait = ServiceOptions.Wait();

    public BindServiceCommand(CliSession session)
        : base(session, "bind-service", "Bind a service instance to an app (takes effect on the app's next restage or restart)")
    {
        Command.Aliases.Add("bs");
        Command.Arguments.Add(_app);
        Command.Arguments.Add(_instance);
        Command.Options.Add(_parameters);
        Command.Options.Add(_bindingName);
        Command.Options.Add(_wait);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var appName = parseResult.GetRequiredValue(_app);
        var instanceName = parseResult.GetRequiredValue(_instance);
        var parameters = JsonArgument.Read(parseResult.GetValue(_parameters), "-c", Session.Env.WorkingDirectory);
        Ui.Say($"Binding service instance {instanceName} to app {appName} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        var app = await Session.Resolve.AppAsync(space, appName, cancellationToken);
        var instance = await Session.Resolve.ServiceInstanceAsync(space, instanceName, cancellationToken);
        var result = await AppBinder.BindAsync(
            Session, app, instance, parameters, parseResult.GetValue(_bindingName), parseResult.GetValue(_wait), cancellationToken);
        if (result.AlreadyBound)
        {
            Ui.Warn($"App {app.Name} is already bound to service instance {instance.Name}.");
            Ui.Ok();
            Ui.Result(result.Operation.Json);
            return;
        }

        if (result.Operation.InProgress)
        {
            Ui.Blank();
            Ui.Say($"Binding in progress. Use 'rav service {instance.Name}' to check operation status.");
        }

        Ui.Ok();
        Ui.Blank();
        Ui.Say(EnvTip.For(app.Name));
        Ui.Result(result.Operation.Json);
    }
}
