using System.CommandLine;
using System.Text.Json.Nodes;

namespace Ravioli.Cli.Commands.Quotas;

/// <summary><c>rav update-quota</c>: changes only the limits given (a PATCH), optionally renaming the quota.</summary>
internal sealed class UpdateQuotaCommand : RavCommand
{
    private readonly Argument<string> _name = new("QUOTA") { Description = "Quota to change" };
    private readonly Option<string?> _newName = new("--new-name", "-n") { Description = "New name for the quota" };
    private readonly QuotaLimitOptions _limits = new();

    public UpdateQuotaCommand(CliSession session)
        : base(session, "update-quota", "Change an org quota's limits (admin only); limits not given stay as they are")
    {
        Command.Arguments.Add(_name);
        Command.Options.Add(_newName);
        _limits.AddTo(Command);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var name = parseResult.GetRequiredValue(_name);
        var body = new JsonObject();
        if (parseResult.GetValue(_newName) is { } newName)
        {
            body["name"] = newName;
        }

        _limits.WriteTo(body, parseResult);
        if (body.Count == 0)
        {
            throw new CliException("Nothing to change. Give at least one of -n, -m, -i, -a, --instances, -r, -s (see 'rav update-quota --help').");
        }

        Ui.Say($"Updating quota {name} as {Session.UserName}...");
        var quota = await Session.Resolve.QuotaAsync(name, cancellationToken);
        var updated = await Api.PatchAsync($"/v3/organization_quotas/{quota.Guid}", body, cancellationToken);
        Ui.Ok();
        Ui.Result(updated);
    }
}
