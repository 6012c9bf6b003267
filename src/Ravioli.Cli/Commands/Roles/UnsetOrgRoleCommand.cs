using System.CommandLine;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.Roles;

/// <summary><c>rav unset-org-role</c>: takes an org role away from a user.</summary>
internal sealed class UnsetOrgRoleCommand : RavCommand
{
    private readonly Argument<string> _username = new("USERNAME") { Description = "User to take the role from" };
    private readonly Argument<string> _org = new("ORG") { Description = "Org" };
    private readonly Argument<string> _role = new("ROLE") { Description = "OrgManager, OrgAuditor, or OrgUser (removes the user from the org)" };

    public UnsetOrgRoleCommand(CliSession session)
        : base(session, "unset-org-role", "Take a role in an org away from a user (org manager)")
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
        Ui.Say($"Removing role {role.Display} from user {username} in org {org.Name} as {Session.UserName}...");
        var user = await Session.Resolve.UserAsync(username, cancellationToken);
        var assigned = await RoleAssignments.FindAsync(Session, user.Guid, role, RoleScope.Organization(org.Guid), cancellationToken);
        if (assigned is null)
        {
            Ui.Warn($"User {username} does not have role {role.Display} in org {org.Name}.");
            Ui.Ok();
            Ui.Result(Json.Null);
            return;
        }

        await Api.DeleteAsync($"/v3/roles/{assigned.Guid}", cancellationToken);
        Ui.Ok();
        Ui.Result(assigned.Raw);
    }
}
