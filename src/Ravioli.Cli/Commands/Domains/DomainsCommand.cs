using System.CommandLine;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Domains;

/// <summary><c>rav domains</c>: the shared domains and the private domains of the orgs you are in.</summary>
internal sealed class DomainsCommand : RavCommand
{
    public DomainsCommand(CliSession session)
        : base(session, "domains", "List the domains you can use for routes")
    {
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        Ui.Say($"Getting domains as {Session.UserName}...");
        Ui.Blank();
        var domains = await Api.ListAsync("/v3/domains", cancellationToken);
        if (domains.Resources.Count == 0)
        {
            Ui.Say("No domains found.");
        }
        else if (!Ui.JsonMode)
        {
            var orgs = (await Api.ListAsync("/v3/organizations", cancellationToken)).Resources
                .Select(Json.Resource<OrganizationResource>)
                .ToDictionary(o => o.Guid, o => o.Name, StringComparer.Ordinal);
            Ui.Table(
                ["name", "availability", "org"],
                domains.Resources.Select(Json.Resource<DomainResource>).Select(d => (IReadOnlyList<string>)
                [
                    d.Name,
                    d.IsShared ? "shared" : "private",
                    d.Relationships?.Organization?.Data?.Guid is { } org ? orgs.GetValueOrDefault(org, org) : string.Empty,
                ]));
        }

        Ui.Result(Json.Array(domains.Resources));
    }
}
