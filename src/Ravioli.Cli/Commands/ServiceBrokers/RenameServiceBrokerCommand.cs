using System.CommandLine;
using System.Text.Json.Nodes;

namespace Ravioli.Cli.Commands.ServiceBrokers;

/// <summary><c>rav rename-service-broker</c>: gives a broker a new name; nothing else changes.</summary>
internal sealed class RenameServiceBrokerCommand : RavCommand
{
    private readonly Argument<string> _name = new("SERVICE_BROKER") { Description = "Broker to rename" };
    private readonly Argument<string> _newName = new("NEW_SERVICE_BROKER") { Description = "Its new name" };

    public RenameServiceBrokerCommand(CliSession session)
        : base(session, "rename-service-broker", "Rename a service broker")
    {
        Command.Arguments.Add(_name);
        Command.Arguments.Add(_newName);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var name = parseResult.GetRequiredValue(_name);
        var newName = parseResult.GetRequiredValue(_newName);
        Ui.Say($"Renaming service broker {name} to {newName} as {Session.UserName}...");
        var broker = await Session.Resolve.ServiceBrokerAsync(name, cancellationToken);
        var updated = await Api.PatchAsync($"/v3/service_brokers/{broker.Guid}", new JsonObject { ["name"] = newName }, cancellationToken);
        Ui.Ok();
        Ui.Result(updated);
    }
}
