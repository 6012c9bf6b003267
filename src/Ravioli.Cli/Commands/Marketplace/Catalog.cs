using System.Net;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Marketplace;

/// <summary>
/// Finds offerings and plans by the names users type, as cf does: an offering name can come from several
/// brokers, and then <c>-b BROKER</c> says which one is meant.
/// </summary>
internal static class Catalog
{
    /// <summary>The offerings named <paramref name="offering"/> (all when null), of <paramref name="broker"/> when given.</summary>
    public static async Task<IReadOnlyList<ServiceOfferingResource>> OfferingsAsync(
        ApiClient api, string? offering, string? broker, string? spaceGuid, CancellationToken cancellationToken)
    {
        var query = Query(("names", offering), ("service_broker_names", broker), ("space_guids", spaceGuid));
        var list = await api.ListAsync($"/v3/service_offerings{query}", cancellationToken);
        return [.. list.Resources.Select(Json.Resource<ServiceOfferingResource>)];
    }

    /// <summary>The plans of the given offerings (and of <paramref name="plan"/>'s name when given).</summary>
    public static async Task<IReadOnlyList<ServicePlanResource>> PlansAsync(
        ApiClient api, IReadOnlyCollection<ServiceOfferingResource> offerings, string? plan, string? spaceGuid, CancellationToken cancellationToken)
    {
        if (offerings.Count == 0)
        {
            return [];
        }

        var guids = string.Join(',', offerings.Select(o => o.Guid));
        var query = Query(("service_offering_guids", guids), ("names", plan), ("space_guids", spaceGuid));
        var list = await api.ListAsync($"/v3/service_plans{query}", cancellationToken);
        return [.. list.Resources.Select(Json.Resource<ServicePlanResource>)];
    }

    /// <summary>
    /// The one offering named <paramref name="name"/>: an unknown name says where to look, a name several
    /// brokers offer asks for <c>-b</c>.
    /// </summary>
    public static async Task<ServiceOfferingResource> OfferingAsync(
        ApiClient api, string name, string? broker, string? spaceGuid, CancellationToken cancellationToken)
    {
        var offerings = await OfferingsAsync(api, name, broker, spaceGuid, cancellationToken);
        switch (offerings.Count)
        {
            case 1:
                return offerings[0];
            case 0 when broker is not null:
                throw new CliException($"Service offering '{name}' not found for broker '{broker}'. Run 'rav marketplace -b {broker}' to see its offerings.");
            case 0:
                throw new CliException($"Service offering '{name}' not found. Run 'rav marketplace' to see the offerings you can use.");
            default:
                var brokers = await BrokerNamesAsync(api, offerings.Select(o => o.BrokerGuid), cancellationToken);
                var names = offerings.Select(o => o.BrokerGuid is { } guid ? brokers.GetValueOrDefault(guid, guid) : "?").Order(StringComparer.Ordinal);
                throw new CliException($"Service offering '{name}' is provided by several service brokers: {string.Join(", ", names)}. Choose one with -b BROKER.");
        }
    }

    /// <summary>The plan named <paramref name="name"/> of <paramref name="offering"/>, or an error that says how to see its plans.</summary>
    public static async Task<ServicePlanResource> PlanAsync(
        ApiClient api, ServiceOfferingResource offering, string name, string? spaceGuid, CancellationToken cancellationToken)
    {
        var plans = await PlansAsync(api, [offering], name, spaceGuid, cancellationToken);
        return plans.FirstOrDefault(p => p.Name == name)
            ?? throw new CliException($"The plan '{name}' could not be found for service offering '{offering.Name}'. Run 'rav marketplace -e {offering.Name}' to see its plans.");
    }

    /// <summary>
    /// Broker names by guid, for the brokers the caller may see; the others are missing (a space developer
    /// sees global offerings but not the admin's brokers).
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string>> BrokerNamesAsync(
        ApiClient api, IEnumerable<string?> guids, CancellationToken cancellationToken)
    {
        var wanted = guids.OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (wanted.Count == 0)
        {
            return new Dictionary<string, string>();
        }

        try
        {
            var list = await api.ListAsync($"/v3/service_brokers?guids={Resolver.Escape(string.Join(',', wanted))}", cancellationToken);
            return list.Resources.Select(Json.Resource<ServiceBrokerResource>).ToDictionary(b => b.Guid, b => b.Name, StringComparer.Ordinal);
        }
        catch (ApiException e) when (e.Status is HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
        {
            return new Dictionary<string, string>();
        }
    }

    /// <summary>"?a=1&amp;b=2" from the filters that have a value; empty when none has.</summary>
    public static string Query(params (string Name, string? Value)[] filters)
    {
        var given = filters.Where(f => f.Value is not null).Select(f => $"{f.Name}={Resolver.Escape(f.Value!)}").ToList();
        return given.Count == 0 ? string.Empty : "?" + string.Join('&', given);
    }
}
