using System.CommandLine;
using Ravioli.Cli.Commands.Marketplace;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.ServiceBindings;

/// <summary><c>rav service-keys</c>: a service instance's keys and where their last operations stand (no credentials).</summary>
internal sealed class ServiceKeysCommand : RavCommand
{
    private readonly Argument<string> _instance = new("SERVICE_INSTANCE") { Description = "Service instance whose keys to list" };

    public ServiceKeysCommand(CliSession session)
        : base(session, "service-keys", "List the service keys of a service instance")
    {
        Command.Aliases.Add("sk");
        Command.Arguments.Add(_instance);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireOrg();
        var space = Session.RequireSpace();
        var instanceName = parseResult.GetRequiredValue(_instance);
        Ui.Say($"Getting keys for service instance {instanceName} as {Session.UserName}...");
        Ui.Blank();
        var instance = await Session.Resolve.ServiceInstanceAsync(space, instanceName, cancellationToken);
        var keys = await Api.ListAsync(
            $"/v3/service_credential_bindings?type={ServiceCredentialBindingResource.Key}&service_instance_guids={Resolver.Escape(instance.Guid)}",
            cancellationToken);
        if (keys.Resources.Count == 0)
        {
            Ui.Say($"No service keys for service instance {instance.Name}.");
        }
        else
        {
            Ui.Table(
                ["name", "last operation", "message"],
                keys.Resources.Select(Json.Resource<ServiceCredentialBindingResource>).OrderBy(k => k.Name, StringComparer.Ordinal).Select(k => (IReadOnlyList<string>)
                [
                    k.Name ?? string.Empty,
                    k.LastOperation?.Status ?? string.Empty,
                    MarketplaceCommand.OneLine(k.LastOperation?.Description),
                ]));
        }

        Ui.Result(Json.Array(keys.Resources));
    }
}
