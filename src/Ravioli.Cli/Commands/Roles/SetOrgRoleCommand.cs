using System.CommandLine;

namespace Ravioli.Cli.Commands.Roles;

/// <summary><c>rav set-org-role</c>: gives a user an org role.</summary>
internal sealed class SetOrgRoleCommand : RavCommand
{
    private readonly Argument<string> _username = new("USERNAME") { Description = "User to give the role to" };
    private readonly Argument<string> _org = new("ORG") { Description = "Org" };
    private readonly Argument<string> _role = new("ROLE") { Description = "OrgManager or OrgAuditor (organization_manager, org_auditor, ... also work)" };

    public SetOrgRoleCommand(CliSession session)
        : base(session, "set-org-role", "Give a user a role in an org (org manager)")
    {
        Command.Arguments.Add(_username);
        Command.Arguments.Add(_org);
        Command.Arguments.Add(_role);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var username = parseResult.GetRequiredValue(_username);
        var role = RoleNames.ParseOrgRole(parseResult.GetRequiredValue(_role));
        var org = await Session.Resolve.OrgAsync(parseResult.GetRequiredValue(_org), cancellationToken);
        Ui.Say($"Assigning role {role.Display} to user {username} in org {org.Name} as {Session.UserName}...");
        var (assigned, existed) = await RoleAssignments.EnsureAsync(Session, username, role, RoleScope.Organization(org.Guid), cancellationToken);
        if (existed)
        {
            Ui.Warn($"User {username} already has role {role.Display} in org {org.Name}.");
        }

        Ui.Ok();
        Ui.Result(assigned ?? Http.Json.Null);
    }
}
