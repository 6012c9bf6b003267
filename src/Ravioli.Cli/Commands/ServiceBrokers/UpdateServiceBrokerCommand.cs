using System.CommandLine;
using System.Text.Json.Nodes;

namespace Ravioli.Cli.Commands.ServiceBrokers;

/// <summary>
/// <c>rav update-service-broker</c>: changes a broker's URL and credentials, and reads its catalog again:
/// new offerings and plans appear (disabled), removed ones go.
/// </summary>
internal sealed class UpdateServiceBrokerCommand : RavCommand
{
    private readonly Argument<string> _name = new("SERVICE_BROKER") { Description = "Broker to update" };
    private readonly BrokerArguments _broker = new();

    public UpdateServiceBrokerCommand(CliSession session)
        : base(session, "update-service-broker", "Change a service broker's URL and credentials, and fetch its catalog again")
    {
        Command.Arguments.Add(_name);
        _broker.AddTo(Command);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var name = parseResult.GetRequiredValue(_name);
        var (url, authentication) = _broker.Read(parseResult);
        Ui.Say($"Updating service broker {name} as {Session.UserName}...");
        var broker = await Session.Resolve.ServiceBrokerAsync(name, cancellationToken);
        var updated = await Api.PatchAsync(
            $"/v3/service_brokers/{broker.Guid}",
            new JsonObject { ["url"] = url, ["authentication"] = authentication },
            cancellationToken);
        Ui.Ok();
        Ui.Result(updated);
    }
}
