using System.CommandLine;
using System.Text.Json.Nodes;

namespace Ravioli.Cli.Commands.ServiceBrokers;

/// <summary>
/// <c>rav create-service-broker</c>: registers an Open Service Broker; the platform reads its catalog at once.
/// Global brokers are for admins and their plans start disabled; <c>--space-scoped</c> ones serve the targeted space only.
/// </summary>
internal sealed class CreateServiceBrokerCommand : RavCommand
{
    private readonly Argument<string> _name = new("SERVICE_BROKER") { Description = "Name of the new broker" };
    private readonly BrokerArguments _broker = new();
    private readonly Option<bool> _spaceScoped = new("--space-scoped") { Description = "Make the broker and its plans available in the targeted space only" };

    public CreateServiceBrokerCommand(CliSession session)
        : base(session, "create-service-broker", "Register a service broker (admin only; --space-scoped: space developer, for the targeted space)")
    {
        Command.Aliases.Add("csb");
        Command.Arguments.Add(_name);
        _broker.AddTo(Command);
        Command.Options.Add(_spaceScoped);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var name = parseResult.GetRequiredValue(_name);
        var (url, authentication) = _broker.Read(parseResult);
        var body = new JsonObject { ["name"] = name, ["url"] = url, ["authentication"] = authentication };
        if (parseResult.GetValue(_spaceScoped))
        {
            var org = Session.RequireOrg();
            var space = Session.RequireSpace();
            Ui.Say($"Creating service broker {name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
            body["relationships"] = new JsonObject { ["space"] = new JsonObject { ["data"] = new JsonObject { ["guid"] = space.Guid } } };
        }
        else
        {
            Ui.Say($"Creating service broker {name} as {Session.UserName}...");
        }

        var broker = await Api.PostAsync("/v3/service_brokers", body, cancellationToken);
        Ui.Ok();
        if (!parseResult.GetValue(_spaceScoped))
        {
            Ui.Blank();
            Ui.Say($"TIP: Its plans are disabled until you enable them: 'rav service-access -b {name}', then 'rav enable-service-access SERVICE_OFFERING'.");
        }

        Ui.Result(broker);
    }
}
