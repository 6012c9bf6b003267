using System.CommandLine;
using System.Text.Json.Nodes;

namespace Ravioli.Cli.Commands.Services;

/// <summary>
/// <c>rav create-user-provided-service</c> (<c>cups</c>): a service instance whose credentials you type in, for
/// a service outside the marketplace; bound apps get them in <c>VCAP_SERVICES</c> like any other.
/// </summary>
internal sealed class CreateUserProvidedServiceCommand : RavCommand
{
    private readonly Argument<string> _name = new("SERVICE_INSTANCE") { Description = "Name of the new service instance" };
    private readonly UserProvidedOptions _options = new();

    public CreateUserProvidedServiceCommand(CliSession session)
        : base(session, "create-user-provided-service", "Create a service instance from credentials you give (a service outside the marketplace)")
    {
        Command.Aliases.Add("cups");
        Command.Arguments.Add(_name);
        _options.AddTo(Command);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        var body = _options.Read(parseResult, Ui, Session.Env.WorkingDirectory);
        body["type"] = "user-provided";
        body["name"] = name;
        body["relationships"] = new JsonObject { ["space"] = new JsonObject { ["data"] = new JsonObject { ["guid"] = space.Guid } } };
        Ui.Say($"Creating user provided service {name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        var created = await Api.PostAsync("/v3/service_instances", body, cancellationToken);
        Ui.Ok();
        Ui.Result(created);
    }
}
