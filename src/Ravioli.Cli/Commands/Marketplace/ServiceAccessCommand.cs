using System.CommandLine;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Marketplace;

/// <summary><c>rav service-access</c>: which orgs may use which plans, broker by broker (admin only).</summary>
internal sealed class ServiceAccessCommand : RavCommand
{
    private readonly Option<string?> _offering = new("-e") { Description = "Only this service offering", HelpName = "SERVICE_OFFERING" };
    private readonly Option<string?> _broker = new("-b") { Description = "Only this service broker", HelpName = "SERVICE_BROKER" };
    private readonly Option<string?> _org = new("-o") { Description = "Only plans this org may use", HelpName = "ORG" };

    public ServiceAccessCommand(CliSession session)
        : base(session, "service-access", "List service plans and the orgs that may use them (admin only)")
    {
        Command.Options.Add(_offering);
        Command.Options.Add(_broker);
        Command.Options.Add(_org);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var offeringName = parseResult.GetValue(_offering);
        var brokerName = parseResult.GetValue(_broker);
        var orgName = parseResult.GetValue(_org);
        var filters = new List<string>();
        if (brokerName is not null)
        {
            filters.Add($"broker {brokerName}");
        }

        if (offeringName is not null)
        {
            filters.Add($"service offering {offeringName}");
        }

        if (orgName is not null)
        {
            filters.Add($"organization {orgName}");
        }

        Ui.Say($"Getting service access{(filters.Count == 0 ? string.Empty : " for " + string.Join(" and ", filters))} as {Session.UserName}...");
        Ui.Blank();
        var org = orgName is null ? null : await Session.Resolve.OrgAsync(orgName, cancellationToken);
        var brokers = (await Api.ListAsync($"/v3/service_brokers{Catalog.Query(("names", brokerName), ("order_by", "name"))}", cancellationToken)).Resources
            .Select(Json.Resource<ServiceBrokerResource>)
            .ToList();
        if (brokerName is not null && brokers.Count == 0)
        {
            throw new CliException($"Service broker '{brokerName}' not found. Run 'rav service-brokers' to see the ones there are.");
        }

        var offerings = await Catalog.OfferingsAsync(Api, offeringName, brokerName, null, cancellationToken);
        if (offeringName is not null && offerings.Count == 0)
        {
            throw new CliException($"Service offering '{offeringName}' not found{(brokerName is null ? string.Empty : $" for broker '{brokerName}'")}. Run 'rav service-access' to see them all.");
        }

        var plans = (await Catalog.PlansAsync(Api, offerings, null, null, cancellationToken)).ToLookup(p => p.OfferingGuid ?? string.Empty);
        var results = new List<System.Text.Json.Nodes.JsonNode>();
        var first = true;
        foreach (var broker in brokers)
        {
            var rows = new List<IReadOnlyList<string>>();
            foreach (var offering in offerings.Where(o => o.BrokerGuid == broker.Guid).OrderBy(o => o.Name, StringComparer.Ordinal))
            {
                foreach (var plan in plans[offering.Guid])
                {
                    // Only limited plans have a list of orgs worth a request; the others' access says it all.
                    var visibility = plan.VisibilityType == PlanAccess.Organization
                        ? await PlanAccess.ReadAsync(Api, plan, cancellationToken)
                        : new ServicePlanVisibility(plan.VisibilityType, []);
                    var orgs = visibility.Organizations ?? [];
                    if (org is not null && !(plan.VisibilityType == PlanAccess.Public || orgs.Any(o => o.Guid == org.Guid)))
                    {
                        continue;
                    }

                    rows.Add(
                    [
                        offering.Name,
                        plan.Name,
                        PlanAccess.Access(plan.VisibilityType),
                        string.Join(", ", orgs.Select(o => o.Name ?? o.Guid).Order(StringComparer.Ordinal)),
                    ]);
                    results.Add(PlanAccess.WithVisibility(plan, visibility));
                }
            }

            if (rows.Count == 0 && (offeringName is not null || org is not null))
            {
                continue;
            }

            if (!first)
            {
                Ui.Blank();
            }

            first = false;
            Ui.Say($"broker: {broker.Name}");
            if (rows.Count == 0)
            {
                Ui.Say("   No service offerings found.");
                continue;
            }

            Ui.Table(["offering", "plan", "access", "orgs"], rows, indent: "   ");
        }

        if (first)
        {
            Ui.Say(brokers.Count == 0 ? "No service brokers found." : "No service plans found.");
        }

        Ui.Result(Json.ToElement(results));
    }
}
