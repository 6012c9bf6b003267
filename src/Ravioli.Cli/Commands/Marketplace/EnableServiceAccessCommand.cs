using System.CommandLine;
using System.Text.Json.Nodes;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Marketplace;

/// <summary>
/// <c>rav enable-service-access</c>: lets every org (or, with <c>-o</c>, one more org) use an offering's plans
/// (admin only). A global broker's plans start disabled, so this is how they reach the marketplace.
/// </summary>
internal sealed class EnableServiceAccessCommand : RavCommand
{
    private readonly Argument<string> _offering = new("SERVICE_OFFERING") { Description = "Service offering whose plans to enable" };
    private readonly Option<string?> _plan = new("-p") { Description = "Only this plan (default: every plan of the offering)", HelpName = "PLAN" };
    private readonly Option<string?> _org = new("-o") { Description = "Enable for this org only (default: every org)", HelpName = "ORG" };
    private readonly Option<string?> _broker = new("-b") { Description = "The broker of the offering, when several brokers offer one of that name", HelpName = "SERVICE_BROKER" };

    public EnableServiceAccessCommand(CliSession session)
        : base(session, "enable-service-access", "Let every org, or one org, use a service offering's plans (admin only)")
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
        Ui.Say($"Enabling access to {PlanAccess.Describe(offeringName, planName, brokerName)} for {whom} as {Session.UserName}...");
        var org = orgName is null ? null : await Session.Resolve.OrgAsync(orgName, cancellationToken);
        var offering = await Catalog.OfferingAsync(Api, offeringName, brokerName, null, cancellationToken);
        var plans = await PlanAccess.PlansAsync(Api, offering, planName, cancellationToken);
        var results = new JsonArray();
        foreach (var plan in plans)
        {
            if (plan.VisibilityType == PlanAccess.Space)
            {
                Ui.Warn($"Did not update plan {plan.Name}: it belongs to a space-scoped broker, so only its space may use it.");
            }
            else if (org is null)
            {
                if (plan.VisibilityType != PlanAccess.Public)
                {
                    await Api.PatchAsync($"/v3/service_plans/{plan.Guid}/visibility", new JsonObject { ["type"] = PlanAccess.Public }, cancellationToken);
                }
            }
            else if (plan.VisibilityType == PlanAccess.Public)
            {
                Ui.Warn($"Did not update plan {plan.Name} as it already has visibility to all orgs.");
            }
            else
            {
                await Api.PostAsync(
                    $"/v3/service_plans/{plan.Guid}/visibility",
                    new JsonObject
                    {
                        ["type"] = PlanAccess.Organization,
                        ["organizations"] = new JsonArray(new JsonObject { ["guid"] = org.Guid }),
                    },
                    cancellationToken);
            }

            var updated = Json.Resource<ServicePlanResource>(await Api.GetAsync($"/v3/service_plans/{plan.Guid}", cancellationToken));
            results.Add(PlanAccess.WithVisibility(updated, await PlanAccess.ReadAsync(Api, updated, cancellationToken)));
        }

        Ui.Ok();
        Ui.Result(Json.ToElement(results));
    }
}
