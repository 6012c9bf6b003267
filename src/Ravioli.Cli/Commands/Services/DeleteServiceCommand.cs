using System.CommandLine;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.Services;

/// <summary>
/// <c>rav delete-service</c>: deletes a service instance; the broker deprovisions a managed one in the
/// background. The platform refuses while apps are bound or keys exist, and says which.
/// </summary>
internal sealed class DeleteServiceCommand : RavCommand
{
    private readonly Argument<string> _name = new("SERVICE_INSTANCE") { Description = "Service instance to delete" };
    private readonly Option<bool> _force = ForceOption();
    private readonly Option<bool> _wait = ServiceOptions.Wait();

    public DeleteServiceCommand(CliSession session)
        : base(session, "delete-service", "Delete a service instance (refused while apps are bound to it or it has keys)")
    {
        Command.Aliases.Add("ds");
        Command.Arguments.Add(_name);
        Command.Options.Add(_force);
        Command.Options.Add(_wait);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        if (!Ui.Confirm($"Really delete the service instance {name}?", parseResult.GetValue(_force)))
        {
            Ui.Say("Delete cancelled.");
            return;
        }

        Ui.Say($"Deleting service instance {name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        var instance = await Session.Resolve.FindServiceInstanceAsync(space.Guid, name, cancellationToken);
        if (instance is null)
        {
            Ui.Blank();
            Ui.Warn($"Service instance {name} did not exist.");
            Ui.Ok();
            Ui.Result(Json.Null);
            return;
        }

        var result = await ServiceOperations.DeleteAsync(
            Session, $"/v3/service_instances/{instance.Guid}", parseResult.GetValue(_wait), $"service instance {name}", cancellationToken);
        Ui.Blank();
        Ui.Say(result.InProgress
            ? ServiceOperations.InProgressMessage("delete", $"'rav services' or 'rav service {name}'")
            : $"Service instance {name} deleted.");
        Ui.Ok();
        Ui.Result(result.InProgress ? result.Json : instance.Raw);
    }
}
