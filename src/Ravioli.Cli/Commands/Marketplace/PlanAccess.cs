using System.Text.Json;
using System.Text.Json.Nodes;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Marketplace;

/// <summary>Who may use a plan (<c>/v3/service_plans/{guid}/visibility</c>), in the words cf's <c>service-access</c> uses.</summary>
internal static class PlanAccess
{
    public const string Public = "public";
    public const string Admin = "admin";
    public const string Organization = "organization";
    public const string Space = "space";

    public static async Task<ServicePlanVisibility> ReadAsync(ApiClient api, ServicePlanResource plan, CancellationToken cancellationToken)
        => Json.As<ServicePlanVisibility>(await api.GetAsync($"/v3/service_plans/{plan.Guid}/visibility", cancellationToken));

    /// <summary>"all", "none", "limited" (some orgs) or "space" (a space-scoped broker's plan).</summary>
    public static string Access(string? visibilityType) => visibilityType switch
    {
        Public => "all",
        Admin => "none",
        Organization => "limited",
        Space => "space",
        _ => visibilityType ?? string.Empty,
    };

    /// <summary>The plan as the API gives it, with its visibility under <c>visibility</c>, for <c>--json</c>.</summary>
    public static JsonNode WithVisibility(ServicePlanResource plan, ServicePlanVisibility visibility)
    {
        var node = JsonNode.Parse(plan.Raw.GetRawText())!.AsObject();
        node["visibility"] = JsonSerializer.SerializeToNode(visibility, Json.Options);
        return node;
    }

    /// <summary>The offering's plans, or the one named; an unknown plan name says how to see the plans.</summary>
    public static async Task<IReadOnlyList<ServicePlanResource>> PlansAsync(
        ApiClient api, ServiceOfferingResource offering, string? planName, CancellationToken cancellationToken)
    {
        if (planName is not null)
        {
            return [await Catalog.PlanAsync(api, offering, planName, spaceGuid: null, cancellationToken)];
        }

        var plans = await Catalog.PlansAsync(api, [offering], null, spaceGuid: null, cancellationToken);
        return plans.Count > 0
            ? plans
            : throw new CliException($"Service offering '{offering.Name}' has no plans. Its broker's catalog may have changed; run 'rav update-service-broker' to fetch it again.");
    }

    /// <summary>"all plans of service offering p-mysql from broker b" or "plan small of service offering p-mysql".</summary>
    public static string Describe(string offering, string? plan, string? broker)
        => (plan is null ? "all plans" : $"plan {plan}") + $" of service offering {offering}" + (broker is null ? string.Empty : $" from broker {broker}");
}
