using System.CommandLine;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Orgs;

/// <summary><c>rav org</c>: one org with its quota and spaces.</summary>
internal sealed class OrgCommand : RavCommand
{
    private readonly Argument<string> _name = new("ORG") { Description = "Org to show" };

    public OrgCommand(CliSession session)
        : base(session, "org", "Show an org, its quota and its spaces")
    {
        Command.Arguments.Add(_name);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var name = parseResult.GetRequiredValue(_name);
        Ui.Say($"Getting info for org {name} as {Session.UserName}...");
        Ui.Blank();
        var org = await Session.Resolve.OrgAsync(name, cancellationToken);
        var spaces = await Api.ListAsync($"/v3/spaces?organization_guids={Resolver.Escape(org.Guid)}&order_by=name", cancellationToken);
        var quotaName = "none";
        if (org.Relationships?.Quota?.Data?.Guid is { } quotaGuid)
        {
            var quota = Json.As<QuotaResource>(await Api.GetAsync($"/v3/organization_quotas/{quotaGuid}", cancellationToken));
            quotaName = quota.Name;
        }

        Ui.Fields(
        [
            new("name", org.Name),
            new("guid", org.Guid),
            new("status", org.Suspended ? "suspended" : "active"),
            new("quota", quotaName),
            new("spaces", string.Join(", ", spaces.Resources.Select(s => Json.As<SpaceResource>(s).Name))),
        ]);
        Ui.Result(org.Raw);
    }
}
