using System.CommandLine;

namespace Ravioli.Cli.Commands.Session;

/// <summary><c>rav target</c>: shows or sets the org and space that other commands work in.</summary>
internal sealed class TargetCommand : RavCommand
{
    private readonly Option<string?> _org = new("--org", "-o") { Description = "Org to target" };
    private readonly Option<string?> _space = new("--space", "-s") { Description = "Space to target (in the given or the targeted org)" };

    public TargetCommand(CliSession session)
        : base(session, "target", "Show or set the targeted org and space")
    {
        Command.Options.Add(_org);
        Command.Options.Add(_space);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var orgName = parseResult.GetValue(_org);
        var spaceName = parseResult.GetValue(_space);
        if (orgName is not null)
        {
            await Targeting.TargetOrgAsync(Session, orgName, spaceName, cancellationToken);
        }
        else if (spaceName is not null)
        {
            await Targeting.TargetSpaceAsync(Session, spaceName, cancellationToken);
        }

        Targeting.Print(Session);
        Ui.Result(Targeting.ToJson(Session.Config));
    }
}
