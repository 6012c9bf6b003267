using System.CommandLine;
using System.Text.Json.Nodes;
using Ravioli.Cli.Commands.Services;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.ServiceBindings;

/// <summary>
/// <c>rav create-service-key</c>: credentials for you rather than for an app (to reach a database from your
/// machine, or hand to a system outside the platform). Read them with <c>rav service-key</c>.
/// </summary>
internal sealed class CreateServiceKeyCommand : RavCommand
{
    private readonly Argument<string> _instance = new("SERVICE_INSTANCE") { Description = "Service instance to make a key for" };
    private readonly Argument<string> _key = new("SERVICE_KEY") { Description = "Name of the new key" };
    private readonly Option<string?> _parameters = ServiceOptions.Parameters();
    private readonly Option<bool> _wait = ServiceOptions.Wait();

    public CreateServiceKeyCommand(CliSession session)
        : base(session, "create-service-key", "Create a service key: credentials of a service instance for use outside apps")
    {
        Command.Aliases.Add("csk");
        Command.Arguments.Add(_instance);
        Command.Arguments.Add(_key);
        Command.Options.Add(_parameters);
        Command.Options.Add(_wait);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireOrg();
        var space = Session.RequireSpace();
        var instanceName = parseResult.GetRequiredValue(_instance);
        var keyName = parseResult.GetRequiredValue(_key);
        var parameters = JsonArgument.Read(parseResult.GetValue(_parameters), "-c", Session.Env.WorkingDirectory);
        Ui.Say($"Creating service key {keyName} for service instance {instanceName} as {Session.UserName}...");
        var instance = await Session.Resolve.ServiceInstanceAsync(space, instanceName, cancellationToken);
        if (await BindingLookup.FindKeyAsync(Api, instance.Guid, keyName, cancellationToken) is { } existing)
        {
            Ui.Warn($"Service key {keyName} already exists.");
            Ui.Ok();
            Ui.Result(existing.Raw);
            return;
        }

        var body = new JsonObject
        {
            ["type"] = ServiceCredentialBindingResource.Key,
            ["name"] = keyName,
            ["relationships"] = new JsonObject
            {
                ["service_instance"] = new JsonObject { ["data"] = new JsonObject { ["guid"] = instance.Guid } },
            },
        };
        if (parameters is not null)
        {
            body["parameters"] = parameters;
        }

        var created = await Api.PostAsync("/v3/service_credential_bindings", body, cancellationToken);
        var guid = created.GetProperty("guid").GetString();
        var result = await ServiceOperations.FinishAsync(
            Session,
            $"/v3/service_credential_bindings/{guid}",
            created,
            parseResult.GetValue(_wait),
            $"service key {keyName}",
            $"Delete it with 'rav delete-service-key {instance.Name} {keyName} -f' before creating it again.",
            cancellationToken);
        if (result.InProgress)
        {
            Ui.Blank();
            Ui.Say(ServiceOperations.InProgressMessage("create", $"'rav service-keys {instance.Name}'"));
        }

        Ui.Ok();
        Ui.Result(result.Json);
    }
}
