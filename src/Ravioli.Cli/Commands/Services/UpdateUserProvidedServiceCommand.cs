using System.CommandLine;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.Services;

/// <summary>
/// <c>rav update-user-provided-service</c> (<c>uups</c>): replaces what is given of a user-provided instance's
/// credentials, drain URL, route service URL and tags; bound apps see the change on their next restage.
/// </summary>
internal sealed class UpdateUserProvidedServiceCommand : RavCommand
{
    private readonly Argument<string> _name = new("SERVICE_INSTANCE") { Description = "User-provided service instance to update" };
    private readonly UserProvidedOptions _options = new();

    public UpdateUserProvidedServiceCommand(CliSession session)
        : base(session, "update-user-provided-service", "Change a user-provided service instance's credentials, URLs or tags")
    {
        Command.Aliases.Add("uups");
        Command.Arguments.Add(_name);
        _options.AddTo(Command);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        var body = _options.Read(parseResult, Ui, Session.Env.WorkingDirectory);
        if (body.Count == 0)
        {
            Ui.Say("No flags specified. No changes were made.");
            Ui.Ok();
            Ui.Result(Json.Null);
            return;
        }

        Ui.Say($"Updating user provided service {name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        var instance = await Session.Resolve.ServiceInstanceAsync(space, name, cancellationToken);
        if (instance.IsManaged)
        {
            throw new CliException($"Service instance {name} is not user-provided: its broker manages its credentials. Change its plan or parameters with 'rav update-service {name}'.");
        }

        var updated = await Api.PatchAsync($"/v3/service_instances/{instance.Guid}", body, cancellationToken);
        Ui.Ok();
        Ui.Blank();
        Ui.Say("TIP: Use 'rav restage' for any bound apps to ensure your env variable changes take effect.");
        Ui.Result(updated);
    }
}
