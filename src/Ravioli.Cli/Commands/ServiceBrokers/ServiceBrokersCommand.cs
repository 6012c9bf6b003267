using System.CommandLine;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.ServiceBrokers;

/// <summary><c>rav service-brokers</c>: the brokers the user may see (admins: all; space developers: their spaces' ones).</summary>
internal sealed class ServiceBrokersCommand : RavCommand
{
    public ServiceBrokersCommand(CliSession session)
        : base(session, "service-brokers", "List service brokers")
    {
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        Ui.Say($"Getting service brokers as {Session.UserName}...");
        Ui.Blank();
        var brokers = await Api.ListAsync("/v3/service_brokers?order_by=name", cancellationToken);
        if (brokers.Resources.Count == 0)
        {
            Ui.Say("No service brokers found.");
        }
        else if (!Ui.JsonMode)
        {
            var resources = brokers.Resources.Select(Json.Resource<ServiceBrokerResource>).ToList();
            var spaces = await SpaceNamesAsync(resources.Select(b => b.SpaceGuid).OfType<string>().Distinct().ToList(), cancellationToken);
            Ui.Table(
                ["name", "url", "space"],
                resources.Select(b => (IReadOnlyList<string>)
                [
                    b.Name,
                    b.Url ?? string.Empty,
                    b.SpaceGuid is { } space ? spaces.GetValueOrDefault(space, space) : string.Empty,
                ]));
        }

        Ui.Result(Json.Array(brokers.Resources));
    }

    /// <summary>"org / space" by space guid, for the space-scoped brokers.</summary>
    private async Task<Dictionary<string, string>> SpaceNamesAsync(List<string> guids, CancellationToken cancellationToken)
    {
        if (guids.Count == 0)
        {
            return [];
        }

        var spaces = (await Api.ListAsync($"/v3/spaces?guids={Resolver.Escape(string.Join(',', guids))}", cancellationToken)).Resources
            .Select(Json.Resource<SpaceResource>)
            .ToList();
        var orgGuids = spaces.Select(s => s.Relationships?.Organization?.Data?.Guid).OfType<string>().Distinct().ToList();
        var orgs = orgGuids.Count == 0
            ? []
            : (await Api.ListAsync($"/v3/organizations?guids={Resolver.Escape(string.Join(',', orgGuids))}", cancellationToken)).Resources
                .Select(Json.Resource<OrganizationResource>)
                .ToDictionary(o => o.Guid, o => o.Name, StringComparer.Ordinal);
        return spaces.ToDictionary(
            s => s.Guid,
            s => s.Relationships?.Organization?.Data?.Guid is { } org && orgs.TryGetValue(org, out var orgName) ? $"{orgName} / {s.Name}" : s.Name,
            StringComparer.Ordinal);
    }
}
