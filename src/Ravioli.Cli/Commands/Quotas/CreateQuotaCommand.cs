using System.CommandLine;
using System.Text.Json.Nodes;

namespace Ravioli.Cli.Commands.Quotas;

/// <summary><c>rav create-quota</c>: an admin defines a named set of org limits.</summary>
internal sealed class CreateQuotaCommand : RavCommand
{
    private readonly Argument<string> _name = new("QUOTA") { Description = "Name of the new quota" };
    private readonly QuotaLimitOptions _limits = new();

    public CreateQuotaCommand(CliSession session)
        : base(session, "create-quota", "Create an org quota (admin only); limits not given are left to the platform's defaults")
    {
        Command.Arguments.Add(_name);
        _limits.AddTo(Command);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var name = parseResult.GetRequiredValue(_name);
        var body = new JsonObject { ["name"] = name };
        _limits.WriteTo(body, parseResult);
        Ui.Say($"Creating quota {name} as {Session.UserName}...");
        var quota = await Api.PostAsync("/v3/organization_quotas", body, cancellationToken);
        Ui.Ok();
        Ui.Blank();
        Ui.Say($"TIP: Apply it to an org with 'rav set-quota ORG {name}'.");
        Ui.Result(quota);
    }
}
