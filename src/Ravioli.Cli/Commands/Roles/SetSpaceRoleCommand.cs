using System.CommandLine;

namespace Ravioli.Cli.Commands.Roles;

/// <summary><c>rav set-space-role</c>: gives a user a space role, first making them a member of the org.</summary>
internal sealed class SetSpaceRoleCommand : RavCommand
{
    private readonly Argument<string> _username = new("USERNAME") { Description = "User to give the role to" };
    private readonly Argument<string> _org = new("ORG") { Description = "Org of the space" };
    private readonly Argument<string> _space = new("SPACE") { Description = "Space" };
    private readonly Argument<string> _role = new("ROLE") { Description = "SpaceManager, SpaceDeveloper or SpaceAuditor (space_developer, ... also work)" };

    public SetSpaceRoleCommand(CliSession session)
        : base(session, "set-space-role", "Give a user a role in a space (org manager, space manager)")
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
        Ui.Say($"Assigning role {role.Display} to user {username} in org {org.Name} / space {space.Name} as {Session.UserName}...");

        // The API wants org membership before a space role; cf users expect one command to do both.
        await RoleAssignments.EnsureAsync(Session, username, RoleNames.OrgUser, RoleScope.Organization(org.Guid), cancellationToken);
        var (assigned, existed) = await RoleAssignments.EnsureAsync(Session, username, role, RoleScope.Space(space.Guid), cancellationToken);
        if (existed)
        {
            Ui.Warn($"User {username} already has role {role.Display} in org {org.Name} / space {space.Name}.");
        }

        Ui.Ok();
        Ui.Result(assigned ?? Http.Json.Null);
    }
}
