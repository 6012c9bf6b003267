using System.CommandLine;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.ServiceBrokers;

/// <summary>
/// <c>rav delete-service-broker</c>: removes a broker and its offerings and plans. The platform refuses while
/// instances of its plans exist; <c>--purge</c> (admin) forgets them all without calling the broker.
/// </summary>
internal sealed class DeleteServiceBrokerCommand : RavCommand
{
    private readonly Argument<string> _name = new("SERVICE_BROKER") { Description = "Broker to delete" };
    private readonly Option<bool> _force = ForceOption();
    private readonly Option<bool> _purge = new("--purge") { Description = "Also forget its instances and bindings, without calling the broker (admin only; for brokers that are gone)" };

    public DeleteServiceBrokerCommand(CliSession session)
        : base(session, "delete-service-broker", "Delete a service broker (refused while instances of its plans exist, unless --purge)")
    {
        Command.Arguments.Add(_name);
        Command.Options.Add(_force);
        Command.Options.Add(_purge);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var name = parseResult.GetRequiredValue(_name);
        var purge = parseResult.GetValue(_purge);
        var question = purge
            ? $"Really purge the service broker {name}, and with it its offerings, plans, service instances and bindings, without calling the broker?"
            : $"Really delete the service broker {name}?";
        if (!Ui.Confirm(question, parseResult.GetValue(_force)))
        {
            Ui.Say("Delete cancelled.");
            return;
        }

        Ui.Say($"{(purge ? "Purging" : "Deleting")} service broker {name} as {Session.UserName}...");
        var broker = await Session.Resolve.FindServiceBrokerAsync(name, cancellationToken);
        if (broker is null)
        {
            Ui.Warn($"Service broker {name} does not exist.");
            Ui.Ok();
            Ui.Result(Json.Null);
            return;
        }

        await Api.DeleteAsync($"/v3/service_brokers/{broker.Guid}{(purge ? "?purge=true" : string.Empty)}", cancellationToken);
        Ui.Ok();
        Ui.Result(broker.Raw);
    }
}
