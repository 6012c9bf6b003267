using System.CommandLine;
using Ravioli.Cli.Commands.ServiceBindings;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Services;

/// <summary><c>rav services</c>: the service instances in the targeted space, their plans, bound apps and last operations.</summary>
internal sealed class ServicesCommand : RavCommand
{
    public ServicesCommand(CliSession session)
        : base(session, "services", "List the service instances in the targeted space")
    {
        Command.Aliases.Add("s");
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        Ui.Say($"Getting service instances in org {org.Name} / space {space.Name} as {Session.UserName}...");
        Ui.Blank();
        // Instances cannot be ordered by name on the API (its names are not a sortable column there), so the table sorts them.
        var instances = await Api.ListAsync($"/v3/service_instances?space_guids={Resolver.Escape(space.Guid)}", cancellationToken);
        if (instances.Resources.Count == 0)
        {
            Ui.Say("No services found.");
        }
        else if (!Ui.JsonMode)
        {
            var resources = instances.Resources.Select(Json.Resource<ServiceInstanceResource>).OrderBy(i => i.Name, StringComparer.Ordinal).ToList();
            var boundApps = await BindingLookup.BoundAppNamesAsync(Api, space, resources.Select(i => i.Guid), cancellationToken);
            Ui.Table(
                ["name", "offering", "plan", "bound apps", "last operation", "broker"],
                resources.Select(i => (IReadOnlyList<string>)
                [
                    i.Name,
                    i.IsManaged ? i.ServiceOffering?.Name ?? string.Empty : ServiceInstanceResource.UserProvided,
                    i.ServicePlan?.Name ?? string.Empty,
                    string.Join(", ", boundApps[i.Guid].Order(StringComparer.Ordinal)),
                    i.LastOperation?.Status ?? string.Empty,
                    i.ServiceBroker?.Name ?? string.Empty,
                ]));
        }

        Ui.Result(Json.Array(instances.Resources));
    }
}
