using System.CommandLine;
using System.Text.Json.Nodes;

namespace Ravioli.Cli.Commands.Quotas;

/// <summary><c>rav set-quota</c>: applies a quota to an org, replacing the one it had.</summary>
internal sealed class SetQuotaCommand : RavCommand
{
    private readonly Argument<string> _org = new("ORG") { Description = "Org" };
    private readonly Argument<string> _quota = new("QUOTA") { Description = "Quota to apply" };

    public SetQuotaCommand(CliSession session)
        : base(session, "set-quota", "Apply a quota to an org (admin only)")
    {
        Command.Arguments.Add(_org);
        Command.Arguments.Add(_quota);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var orgName = parseResult.GetRequiredValue(_org);
        var quotaName = parseResult.GetRequiredValue(_quota);
        Ui.Say($"Setting quota {quotaName} to org {orgName} as {Session.UserName}...");
        var org = await Session.Resolve.OrgAsync(orgName, cancellationToken);
        var quota = await Session.Resolve.QuotaAsync(quotaName, cancellationToken);
        var applied = await Api.PostAsync(
            $"/v3/organization_quotas/{quota.Guid}/relationships/organizations",
            new JsonObject { ["data"] = new JsonArray(new JsonObject { ["guid"] = org.Guid }) },
            cancellationToken);
        Ui.Ok();
        Ui.Result(applied);
    }
}
