using System.CommandLine;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.Roles;

/// <summary><c>rav unset-space-role</c>: takes a space role away from a user.</summary>
internal sealed class UnsetSpaceRoleCommand : RavCommand
{
    private readonly Argument<string> _username = new("USERNAME") { Description = "User to take the role from" };
    private readonly Argument<string> _org = new("ORG") { Description = "Org of the space" };
    private readonly Argument<string> _space = new("SPACE") { Description = "Space" };
    private readonly Argument<string> _role = new("ROLE") { Description = "SpaceManager, SpaceDeveloper or SpaceAuditor" };

    public UnsetSpaceRoleCommand(CliSession session)
        : base(session, "unset-space-role", "Take a role in a space away from a user (org manager, space manager)")
    {
        Command.Arguments.Add(_username);
        Command.Arguments.Add(_org);
        Command.Arguments.Add(_space);
        Command.Arguments.Add(_role);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var username = parseResult.GetRequiredValue(_username);
        var role = RoleNames.ParseSpaceRole(parseResult.GetRequiredValue(_role));
        var org = await Session.Resolve.OrgAsync(parseResult.GetRequiredValue(_org), cancellationToken);
        var space = await Session.Resolve.SpaceAsync(org.Guid, org.Name, parseResult.GetRequiredValue(_space), cancellationToken);
        Ui.Say($"Removing role {role.Display} from user {username} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        var user = await Session.Resolve.UserAsync(username, cancellationToken);
        var assigned = await RoleAssignments.FindAsync(Session, user.Guid, role, RoleScope.Space(space.Guid), cancellationToken);
        if (assigned is null)
        {
            Ui.Warn($"User {username} does not have role {role.Display} in org {org.Name} / space {space.Name}.");
            Ui.Ok();
            Ui.Result(Json.Null);
            return;
        }

        await Api.DeleteAsync($"/v3/roles/{assigned.Guid}", cancellationToken);
        Ui.Ok();
        Ui.Result(assigned.Raw);
    }
}
