using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Marketplace;

/// <summary>
/// <c>rav disable-service-access</c>: takes an offering's plans away from every org (or, with <c>-o</c>, from
/// one org) (admin only). Existing instances keep working; no new ones can be created.
/// </summary>
internal sealed class DisableServiceAccessCommand : RavCommand
{
    private readonly Argument<string> _offering = new("SERVICE_OFFERING") { Description = "Service offering whose plans to disable" };
    private readonly Option<string?> _plan = new("-p") { Description = "Only this plan (default: every plan of the offering)", HelpName = "PLAN" };
    private readonly Option<string?> _org = new("-o") { Description = "Disable for this org only (default: every org)", HelpName = "ORG" };
    private readonly Option<string?> _broker = new("-b") { Description = "The broker of the offering, when several brokers offer one of that name", HelpName = "SERVICE_BROKER" };

    public DisableServiceAccessCommand(CliSession session)
        : base(session, "disable-service-access", "Stop every org, or one org, from using a service offering's plans (admin only)")
    {
        Command.Arguments.Add(_offering);
        Command.Options.Add(_plan);
        Command.Options.Add(_org);
        Command.Options.Add(_broker);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var offeringName = parseResult.GetRequiredValue(_offering);
        var planName = parseResult.GetValue(_plan);
        var orgName = parseResult.GetValue(_org);
        var brokerName = parseResult.GetValue(_broker);
        var whom = orgName is null ? "all orgs" : $"org {orgName}";
        Ui.Say($"Disabling access to {PlanAccess.Describe(offeringName, planName, brokerName)} for {whom} as {Session.UserName}...");
        var org = orgName is null ? null : await Session.Resolve.OrgAsync(orgName, cancellationToken);
        var offering = await Catalog.OfferingAsync(Api, offeringName, brokerName, null, cancellationToken);
        var plans = await PlanAccess.PlansAsync(Api, offering, planName, cancellationToken);

        // Checked for every plan before changing any, so the command does all or nothing.
        if (org is not null && plans.FirstOrDefault(p => p.VisibilityType == PlanAccess.Public) is { } open)
        {
            throw new CliException(
                $"Cannot remove organization level access for public plans (plan {open.Name} is enabled for all orgs). "
                + $"Disable it for all orgs first ('rav disable-service-access {offering.Name} -p {open.Name}'), then enable the orgs that should keep it with -o.");
        }

        var results = new JsonArray();
        foreach (var plan in plans)
        {
            if (plan.VisibilityType == PlanAccess.Space)
            {
                Ui.Warn($"Did not update plan {plan.Name}: it belongs to a space-scoped broker; delete the broker to withdraw it.");
            }
            else if (org is null)
            {
                if (plan.VisibilityType != PlanAccess.Admin)
                {
                    await Api.PatchAsync($"/v3/service_plans/{plan.Guid}/visibility", new JsonObject { ["type"] = PlanAccess.Admin }, cancellationToken);
                }
            }
            else if (plan.VisibilityType == PlanAccess.Organization)
            {
                try
                {
                    await Api.DeleteAsync($"/v3/service_plans/{plan.Guid}/visibility/{org.Guid}", cancellationToken);
                }
                catch (ApiException e) when (e.Status == HttpStatusCode.NotFound)
                {
                    // The org did not have access; there is nothing to take away.
                }
            }

            var updated = Json.Resource<ServicePlanResource>(await Api.GetAsync($"/v3/service_plans/{plan.Guid}", cancellationToken));
            results.Add(PlanAccess.WithVisibility(updated, await PlanAccess.ReadAsync(Api, updated, cancellationToken)));
        }

        Ui.Ok();
        Ui.Result(Json.ToElement(results));
    }
}
