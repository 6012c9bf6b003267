using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.ServiceBindings;

/// <summary><c>rav service-key</c>: a service key's credentials, as JSON (space developers only: they are secrets).</summary>
internal sealed class ServiceKeyCommand : RavCommand
{
    private readonly Argument<string> _instance = new("SERVICE_INSTANCE") { Description = "Service instance of the key" };
    private readonly Argument<string> _key = new("SERVICE_KEY") { Description = "Key to show" };
    private readonly Option<bool> _guid = new("--guid") { Description = "Print only the key's guid" };

    public ServiceKeyCommand(CliSession session)
        : base(session, "service-key", "Show a service key's credentials")
    {
        Command.Arguments.Add(_instance);
        Command.Arguments.Add(_key);
        Command.Options.Add(_guid);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireOrg();
        var space = Session.RequireSpace();
        var instanceName = parseResult.GetRequiredValue(_instance);
        var keyName = parseResult.GetRequiredValue(_key);
        var showGuid = parseResult.GetValue(_guid);
        if (!showGuid)
        {
            Ui.Say($"Getting key {keyName} for service instance {instanceName} as {Session.UserName}...");
            Ui.Blank();
        }

        var instance = await Session.Resolve.ServiceInstanceAsync(space, instanceName, cancellationToken);
        var key = await BindingLookup.KeyAsync(Api, instance, keyName, cancellationToken);
        if (showGuid)
        {
            Ui.Say(key.Guid);
            Ui.Result(key.Raw);
            return;
        }

        if (key.LastOperation is { IsInProgress: true } or { IsFailed: true })
        {
            throw new CliException(
                $"Service key {keyName} has no credentials to show: its last operation is '{key.LastOperation.Status}'. Run 'rav service-keys {instance.Name}' to follow it.");
        }

        var details = await Api.GetAsync($"/v3/service_credential_bindings/{key.Guid}/details", cancellationToken);
        var credentials = details.ValueKind == JsonValueKind.Object && details.TryGetProperty("credentials", out var c)
            ? JsonNode.Parse(c.GetRawText())
            : new JsonObject();

        // cf v8 prints the credentials under a "credentials" key; --json gives the whole details object.
        Ui.Say(Json.Pretty(Json.ToElement(new JsonObject { ["credentials"] = credentials })));
        Ui.Result(details);
    }
}
