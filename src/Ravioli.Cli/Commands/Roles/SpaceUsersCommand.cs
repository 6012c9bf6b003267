using System.CommandLine;

namespace Ravioli.Cli.Commands.Roles;

/// <summary><c>rav space-users</c>: who holds which role in a space, grouped like cf.</summary>
internal sealed class SpaceUsersCommand : RavCommand
{
    private readonly Argument<string> _org = new("ORG") { Description = "Org of the space" };
    private readonly Argument<string> _space = new("SPACE") { Description = "Space" };

    public SpaceUsersCommand(CliSession session)
        : base(session, "space-users", "List the users of a space by role")
    {
        Command.Arguments.Add(_org);
        Command.Arguments.Add(_space);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var org = await Session.Resolve.OrgAsync(parseResult.GetRequiredValue(_org), cancellationToken);
        var space = await Session.Resolve.SpaceAsync(org.Guid, org.Name, parseResult.GetRequiredValue(_space), cancellationToken);
        Ui.Say($"Getting users in org {org.Name} / space {space.Name} as {Session.UserName}...");
        Ui.Blank();
        var roles = await RoleAssignments.ListAsync(Session, RoleNames.SpaceRoles, RoleScope.Space(space.Guid), cancellationToken);
        Ui.Result(roles);
    }
}
