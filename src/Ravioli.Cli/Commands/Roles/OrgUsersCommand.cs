using System.CommandLine;

namespace Ravioli.Cli.Commands.Roles;

/// <summary><c>rav org-users</c>: who holds which role in an org, grouped like cf.</summary>
internal sealed class OrgUsersCommand : RavCommand
{
    private readonly Argument<string> _org = new("ORG") { Description = "Org" };

    public OrgUsersCommand(CliSession session)
        : base(session, "org-users", "List the users of an org by role")
    {
        Command.Arguments.Add(_org);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var org = await Session.Resolve.OrgAsync(parseResult.GetRequiredValue(_org), cancellationToken);
        Ui.Say($"Getting users in org {org.Name} as {Session.UserName}...");
        Ui.Blank();
        var roles = await RoleAssignments.ListAsync(Session, RoleNames.OrgRoles, RoleScope.Organization(org.Guid), cancellationToken);
        Ui.Result(roles);
    }
}
