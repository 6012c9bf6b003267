using System.CommandLine;
using System.Text.Json.Nodes;

namespace Ravioli.Cli.Commands.Services;

/// <summary><c>rav rename-service</c>: renames a service instance; the broker is not involved and bindings stay.</summary>
internal sealed class RenameServiceCommand : RavCommand
{
    private readonly Argument<string> _name = new("SERVICE_INSTANCE") { Description = "Service instance to rename" };
    private readonly Argument<string> _newName = new("NEW_SERVICE_INSTANCE") { Description = "Its new name" };

    public RenameServiceCommand(CliSession session)
        : base(session, "rename-service", "Rename a service instance")
    {
        Command.Arguments.Add(_name);
        Command.Arguments.Add(_newName);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        var newName = parseResult.GetRequiredValue(_newName);
        Ui.Say($"Renaming service {name} to {newName} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        var instance = await Session.Resolve.ServiceInstanceAsync(space, name, cancellationToken);
        var renamed = await Api.PatchAsync($"/v3/service_instances/{instance.Guid}", new JsonObject { ["name"] = newName }, cancellationToken);
        Ui.Ok();
        Ui.Result(renamed);
    }
}
