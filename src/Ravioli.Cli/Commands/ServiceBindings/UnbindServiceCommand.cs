using System.CommandLine;
using Ravioli.Cli.Commands.Services;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.ServiceBindings;

/// <summary>
/// <c>rav unbind-service</c>: takes a service instance's credentials away from an app (the broker revokes
/// them). The app keeps its environment until it is restarted.
/// </summary>
internal sealed class UnbindServiceCommand : RavCommand
{
    private readonly Argument<string> _app = new("APP_NAME") { Description = "App to unbind" };
    private readonly Argument<string> _instance = new("SERVICE_INSTANCE") { Description = "Service instance to unbind it from" };
    private readonly Option<bool> _force = ForceOption();
    private readonly Option<bool> _wait = ServiceOptions.Wait();

    public UnbindServiceCommand(CliSession session)
        : base(session, "unbind-service", "Unbind a service instance from an app")
    {
        Command.Aliases.Add("us");
        Command.Arguments.Add(_app);
        Command.Arguments.Add(_instance);
        Command.Options.Add(_force);
        Command.Options.Add(_wait);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var appName = parseResult.GetRequiredValue(_app);
        var instanceName = parseResult.GetRequiredValue(_instance);
        if (!Ui.Confirm($"Really unbind app {appName} from service instance {instanceName}?", parseResult.GetValue(_force)))
        {
            Ui.Say("Unbind cancelled.");
            return;
        }

        Ui.Say($"Unbinding app {appName} from service {instanceName} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        var app = await Session.Resolve.AppAsync(space, appName, cancellationToken);
        var instance = await Session.Resolve.ServiceInstanceAsync(space, instanceName, cancellationToken);
        var binding = await BindingLookup.FindAppBindingAsync(Api, app.Guid, instance.Guid, cancellationToken);
        if (binding is null)
        {
            Ui.Warn($"Binding between {instance.Name} and {app.Name} did not exist.");
            Ui.Ok();
            Ui.Result(Json.Null);
            return;
        }

        var result = await ServiceOperations.DeleteAsync(
            Session,
            $"/v3/service_credential_bindings/{binding.Guid}",
            parseResult.GetValue(_wait),
            $"the binding of service instance {instance.Name} to app {app.Name}",
            cancellationToken);
        if (result.InProgress)
        {
            Ui.Blank();
            Ui.Say($"Unbinding in progress. Use 'rav service {instance.Name}' to check operation status.");
        }

        Ui.Ok();
        Ui.Result(result.InProgress ? result.Json : binding.Raw);
    }
}
