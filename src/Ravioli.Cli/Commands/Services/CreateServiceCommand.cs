using System.CommandLine;
using System.Text.Json.Nodes;
using Ravioli.Cli.Commands.Marketplace;

namespace Ravioli.Cli.Commands.Services;

/// <summary>
/// <c>rav create-service</c>: creates a managed service instance from a marketplace plan in the targeted space.
/// The broker provisions it in the background; <c>--wait</c> follows it to the end.
/// </summary>
internal sealed class CreateServiceCommand : RavCommand
{
    private readonly Argument<string> _offering = new("SERVICE_OFFERING") { Description = "Service offering, as 'rav marketplace' lists it" };
    private readonly Argument<string> _plan = new("SERVICE_PLAN") { Description = "Plan of the offering" };
    private readonly Argument<string> _name = new("SERVICE_INSTANCE") { Description = "Name of the new service instance" };
    private readonly Option<string?> _parameters = ServiceOptions.Parameters();
    private readonly Option<string?> _tags = ServiceOptions.Tags();
    private readonly Option<string?> _broker = new("-b") { Description = "The broker of the offering, when several brokers offer one of that name", HelpName = "SERVICE_BROKER" };
    private readonly Option<bool> _wait = ServiceOptions.Wait();

    public CreateServiceCommand(CliSession session)
        : base(session, "create-service", "Create a service instance from a marketplace offering and plan")
    {
        Command.Aliases.Add("cs");
        Command.Arguments.Add(_offering);
        Command.Arguments.Add(_plan);
        Command.Arguments.Add(_name);
        Command.Options.Add(_parameters);
        Command.Options.Add(_tags);
        Command.Options.Add(_broker);
        Command.Options.Add(_wait);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        var parameters = JsonArgument.Read(parseResult.GetValue(_parameters), "-c", Session.Env.WorkingDirectory);
        var tags = ServiceTags.Parse(parseResult.GetValue(_tags));
        Ui.Say($"Creating service instance {name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        var offering = await Catalog.OfferingAsync(Api, parseResult.GetRequiredValue(_offering), parseResult.GetValue(_broker), space.Guid, cancellationToken);
        var plan = await Catalog.PlanAsync(Api, offering, parseResult.GetRequiredValue(_plan), space.Guid, cancellationToken);
        var body = new JsonObject
        {
            ["type"] = "managed",
            ["name"] = name,
            ["relationships"] = new JsonObject
            {
                ["space"] = new JsonObject { ["data"] = new JsonObject { ["guid"] = space.Guid } },
                ["service_plan"] = new JsonObject { ["data"] = new JsonObject { ["guid"] = plan.Guid } },
            },
        };
        if (parameters is not null)
        {
            body["parameters"] = parameters;
        }

        if (tags is not null)
        {
            body["tags"] = new JsonArray([.. tags.Select(t => JsonValue.Create(t))]);
        }

        var created = await Api.PostAsync("/v3/service_instances", body, cancellationToken);
        var guid = created.GetProperty("guid").GetString();
        var result = await ServiceOperations.FinishAsync(
            Session,
            $"/v3/service_instances/{guid}",
            created,
            parseResult.GetValue(_wait),
            $"service instance {name}",
            $"Delete it with 'rav delete-service {name} -f' before creating it again.",
            cancellationToken);
        Ui.Blank();
        Ui.Say(result.InProgress
            ? ServiceOperations.InProgressMessage("create", $"'rav services' or 'rav service {name}'")
            : $"Service instance {name} created.");
        Ui.Ok();
        Ui.Result(result.Json);
    }
}
