using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Marketplace;

/// <summary>
/// <c>rav marketplace</c>: the service offerings and plans available in the targeted space (everything the
/// user may see when no space is targeted); with <c>-e</c>, one offering's plans in detail.
/// </summary>
internal sealed class MarketplaceCommand : RavCommand
{
    private readonly Option<string?> _offering = new("-e") { Description = "Show the plans of this service offering (description, free or paid, costs)", HelpName = "SERVICE_OFFERING" };
    private readonly Option<string?> _broker = new("-b") { Description = "Only offerings of this service broker", HelpName = "SERVICE_BROKER" };

    public MarketplaceCommand(CliSession session)
        : base(session, "marketplace", "List the service offerings and plans you can create instances of")
    {
        Command.Aliases.Add("m");
        Command.Options.Add(_offering);
        Command.Options.Add(_broker);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var offeringName = parseResult.GetValue(_offering);
        var brokerName = parseResult.GetValue(_broker);
        var org = Session.Config.Organization;
        var space = org is null ? null : Session.Config.Space;
        var where = space is null ? string.Empty : $" in org {org!.Name} / space {space.Name}";
        var from = brokerName is null ? string.Empty : $" from service broker {brokerName}";
        Ui.Say(offeringName is null
            ? $"Getting all service offerings{from} from marketplace{where} as {Session.UserName}..."
            : $"Getting service plan information for service offering {offeringName}{from}{where} as {Session.UserName}...");
        Ui.Blank();

        var offerings = await Catalog.OfferingsAsync(Api, offeringName, brokerName, space?.Guid, cancellationToken);
        var plans = (await Catalog.PlansAsync(Api, offerings, null, space?.Guid, cancellationToken))
            .ToLookup(p => p.OfferingGuid ?? string.Empty);

        // An offering without a plan the space may use cannot be created here, so it is not on offer.
        offerings = [.. offerings.Where(o => plans[o.Guid].Any()).OrderBy(o => o.Name, StringComparer.Ordinal)];
        if (offerings.Count == 0)
        {
            Ui.Say(offeringName is null ? "No service offerings found." : $"No service offering '{offeringName}' found. Run 'rav marketplace' to see the ones you can use.");
            Ui.Result(Json.Array([]));
            return;
        }

        var brokers = await Catalog.BrokerNamesAsync(Api, offerings.Select(o => o.BrokerGuid), cancellationToken);
        string BrokerOf(ServiceOfferingResource o) => o.BrokerGuid is { } guid ? brokers.GetValueOrDefault(guid, string.Empty) : string.Empty;
        if (offeringName is null)
        {
            Ui.Table(
                ["offering", "plans", "description", "broker"],
                offerings.Select(o => (IReadOnlyList<string>)
                [
                    o.Name,
                    string.Join(", ", plans[o.Guid].Select(p => p.Name)),
                    OneLine(o.Description),
                    BrokerOf(o),
                ]));
            Ui.Blank();
            Ui.Say("TIP: Use 'rav marketplace -e SERVICE_OFFERING' to view descriptions of individual plans of a given service offering.");
            Ui.Result(WithPlans(offerings, plans));
            return;
        }

        var first = true;
        foreach (var offering in offerings)
        {
            if (!first)
            {
                Ui.Blank();
            }

            first = false;
            Ui.Say($"broker: {BrokerOf(offering)}".TrimEnd());
            Ui.Table(
                ["plan", "description", "free or paid", "costs", "available"],
                plans[offering.Guid].Select(p => (IReadOnlyList<string>)
                [
                    p.Name,
                    OneLine(p.Description),
                    p.Free == false ? "paid" : "free",
                    Costs(p),
                    p.Available == false ? "no" : "yes",
                ]),
                indent: "   ");
        }

        Ui.Result(Json.Array(offerings.SelectMany(o => plans[o.Guid]).Select(p => p.Raw)));
    }

    /// <summary>The offerings as the API gives them, each with its plans under <c>plans</c>.</summary>
    private static JsonElement WithPlans(IEnumerable<ServiceOfferingResource> offerings, ILookup<string, ServicePlanResource> plans)
    {
        var result = new JsonArray();
        foreach (var offering in offerings)
        {
            var node = JsonNode.Parse(offering.Raw.GetRawText())!.AsObject();
            node["plans"] = new JsonArray([.. plans[offering.Guid].Select(p => JsonNode.Parse(p.Raw.GetRawText()))]);
            result.Add(node);
        }

        return Json.ToElement(result);
    }

    /// <summary>
    /// A plan's costs from its catalog metadata, in OSB's conventional shape
    /// (<c>"costs": [{"amount": {"usd": 99.0}, "unit": "MONTHLY"}]</c>), as cf shows them: "USD 99.00/MONTHLY".
    /// </summary>
    internal static string Costs(ServicePlanResource plan)
    {
        if (plan.BrokerCatalog?.Metadata is not { ValueKind: JsonValueKind.Object } metadata
            || !metadata.TryGetProperty("costs", out var costs)
            || costs.ValueKind != JsonValueKind.Array)
        {
            return string.Empty;
        }

        var parts = new List<string>();
        foreach (var cost in costs.EnumerateArray().Where(c => c.ValueKind == JsonValueKind.Object))
        {
            var unit = cost.TryGetProperty("unit", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
            if (!cost.TryGetProperty("amount", out var amount) || amount.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            foreach (var currency in amount.EnumerateObject().Where(a => a.Value.ValueKind == JsonValueKind.Number))
            {
                var value = currency.Value.GetDecimal().ToString("0.00", CultureInfo.InvariantCulture);
                parts.Add($"{currency.Name.ToUpperInvariant()} {value}{(unit is null ? string.Empty : "/" + unit)}");
            }
        }

        return string.Join(", ", parts);
    }

    /// <summary>Descriptions from catalogs may span lines; a table row may not.</summary>
    internal static string OneLine(string? text) => string.Join(' ', (text ?? string.Empty).Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
