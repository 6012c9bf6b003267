using System.CommandLine;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ravioli.Cli.Commands.Apps;
using Ravioli.Cli.Commands.Marketplace;
using Ravioli.Cli.Commands.ServiceBindings;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Services;

/// <summary>
/// <c>rav service</c>: one service instance: its offering and plan (or, user-provided, its drain and route
/// service URLs), its last operation, and the apps bound to it.
/// </summary>
internal sealed class ServiceCommand : RavCommand
{
    private readonly Argument<string> _name = new("SERVICE_INSTANCE") { Description = "Service instance to show" };
    private readonly Option<bool> _guid = new("--guid") { Description = "Print only the instance's guid" };

    public ServiceCommand(CliSession session)
        : base(session, "service", "Show a service instance: plan, last operation and bound apps")
    {
        Command.Arguments.Add(_name);
        Command.Options.Add(_guid);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        if (parseResult.GetValue(_guid))
        {
            var found = await Session.Resolve.ServiceInstanceAsync(space, name, cancellationToken);
            Ui.Say(found.Guid);
            Ui.Result(found.Raw);
            return;
        }

        Ui.Say($"Showing info of service {name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        Ui.Blank();
        var instance = await Session.Resolve.ServiceInstanceAsync(space, name, cancellationToken);
        var (plan, offering) = instance.IsManaged ? await PlanAndOfferingAsync(instance, cancellationToken) : (null, null);
        var bindings = await BindingLookup.AppBindingsAsync(Api, [instance.Guid], cancellationToken);
        var apps = bindings.Count == 0 ? [] : await BindingLookup.AppNamesAsync(Api, space, cancellationToken);

        if (instance.IsManaged)
        {
            Ui.Fields(
            [
                new("name", instance.Name),
                new("guid", instance.Guid),
                new("type", instance.Type),
                new("broker", instance.ServiceBroker?.Name ?? string.Empty),
                new("offering", offering?.Name ?? instance.ServiceOffering?.Name ?? string.Empty),
                new("plan", plan?.Name ?? instance.ServicePlan?.Name ?? string.Empty),
                new("tags", ServiceTags.Format(instance.Tags)),
                new("offering tags", ServiceTags.Format(offering?.Tags)),
                new("description", MarketplaceCommand.OneLine(offering?.Description)),
                new("documentation", offering?.DocumentationUrl ?? string.Empty),
                new("dashboard url", instance.DashboardUrl ?? string.Empty),
            ]);
        }
        else
        {
            Ui.Fields(
            [
                new("name", instance.Name),
                new("guid", instance.Guid),
                new("type", instance.Type),
                new("tags", ServiceTags.Format(instance.Tags)),
                new("route service url", instance.RouteServiceUrl ?? string.Empty),
                new("syslog drain url", instance.SyslogDrainUrl ?? string.Empty),
            ]);
        }

        Ui.Blank();
        PrintLastOperation(instance.LastOperation);
        Ui.Blank();
        Ui.Say("Showing bound apps:");
        if (bindings.Count == 0)
        {
            Ui.Say("There are no bound apps for this service instance.");
        }
        else
        {
            Ui.Table(
                ["name", "binding name", "status", "message"],
                bindings
                    .Select(b => (App: b.AppGuid is { } app ? apps.GetValueOrDefault(app, app) : string.Empty, Binding: b))
                    .OrderBy(b => b.App, StringComparer.Ordinal)
                    .Select(b => (IReadOnlyList<string>)
                    [
                        b.App,
                        b.Binding.Name ?? string.Empty,
                        b.Binding.LastOperation?.Status ?? string.Empty,
                        MarketplaceCommand.OneLine(b.Binding.LastOperation?.Description),
                    ]),
                indent: "   ");
        }

        Ui.Result(Json.ToElement(new JsonObject
        {
            ["service_instance"] = Node(instance.Raw),
            ["service_plan"] = plan is null ? null : Node(plan.Raw),
            ["service_offering"] = offering is null ? null : Node(offering.Raw),
            ["bindings"] = new JsonArray([.. bindings.Select(b => Node(b.Raw))]),
        }));
    }

    private void PrintLastOperation(LastOperation? operation)
    {
        Ui.Say("Showing status of last operation:");
        if (operation is null)
        {
            Ui.Say("   There is no operation to show.");
            return;
        }

        Ui.Fields(
        [
            new("   status", operation.Status),
            new("   message", MarketplaceCommand.OneLine(operation.Description)),
            new("   started", operation.CreatedAt is { } started ? AppDetails.Timestamp(started) : string.Empty),
            new("   updated", operation.UpdatedAt is { } updated ? AppDetails.Timestamp(updated) : string.Empty),
        ]);
    }

    /// <summary>The instance's plan and offering, for their names and descriptions; null where the user may no longer see them.</summary>
    private async Task<(ServicePlanResource? Plan, ServiceOfferingResource? Offering)> PlanAndOfferingAsync(
        ServiceInstanceResource instance, CancellationToken cancellationToken)
    {
        try
        {
            var plan = instance.PlanGuid is { } planGuid
                ? Json.Resource<ServicePlanResource>(await Api.GetAsync($"/v3/service_plans/{planGuid}", cancellationToken))
                : null;
            var offering = plan?.OfferingGuid is { } offeringGuid
                ? Json.Resource<ServiceOfferingResource>(await Api.GetAsync($"/v3/service_offerings/{offeringGuid}", cancellationToken))
                : null;
            return (plan, offering);
        }
        catch (ApiException e) when (e.Status is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
        {
            // Access to the plan was withdrawn since the instance was made; the instance still has its names.
            return (null, null);
        }
    }

    private static JsonNode? Node(JsonElement element) => JsonNode.Parse(element.GetRawText());
}
