using System.CommandLine;
using Ravioli.Cli.Commands.Services;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.ServiceBindings;

/// <summary><c>rav delete-service-key</c>: deletes a service key; the broker revokes its credentials.</summary>
internal sealed class DeleteServiceKeyCommand : RavCommand
{
    private readonly Argument<string> _instance = new("SERVICE_INSTANCE") { Description = "Service instance of the key" };
    private readonly Argument<string> _key = new("SERVICE_KEY") { Description = "Key to delete" };
    private readonly Option<bool> _force = ForceOption();
    private readonly Option<bool> _wait = ServiceOptions.Wait();

    public DeleteServiceKeyCommand(CliSession session)
        : base(session, "delete-service-key", "Delete a service key")
    {
        Command.Aliases.Add("dsk");
        Command.Arguments.Add(_instance);
        Command.Arguments.Add(_key);
        Command.Options.Add(_force);
        Command.Options.Add(_wait);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireOrg();
        var space = Session.RequireSpace();
        var instanceName = parseResult.GetRequiredValue(_instance);
        var keyName = parseResult.GetRequiredValue(_key);
        if (!Ui.Confirm($"Really delete the service key {keyName}?", parseResult.GetValue(_force)))
        {
            Ui.Say("Delete cancelled.");
            return;
        }

        Ui.Say($"Deleting key {keyName} for service instance {instanceName} as {Session.UserName}...");
        var instance = await Session.Resolve.ServiceInstanceAsync(space, instanceName, cancellationToken);
        var key = await BindingLookup.FindKeyAsync(Api, instance.Guid, keyName, cancellationToken);
        if (key is null)
        {
            Ui.Warn($"Service key {keyName} does not exist for service instance {instance.Name}.");
            Ui.Ok();
            Ui.Result(Json.Null);
            return;
        }

        var result = await ServiceOperations.DeleteAsync(
            Session, $"/v3/service_credential_bindings/{key.Guid}", parseResult.GetValue(_wait), $"service key {keyName}", cancellationToken);
        if (result.InProgress)
        {
            Ui.Blank();
            Ui.Say(ServiceOperations.InProgressMessage("delete", $"'rav service-keys {instance.Name}'"));
        }

        Ui.Ok();
        Ui.Result(result.InProgress ? result.Json : key.Raw);
    }
}
