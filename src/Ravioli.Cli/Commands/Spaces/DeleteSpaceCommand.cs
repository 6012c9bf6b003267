using System.CommandLine;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.Spaces;

/// <summary><c>rav delete-space</c>: deletes a space with its apps and roles.</summary>
internal sealed class DeleteSpaceCommand : RavCommand
{
    private readonly Argument<string> _name = new("SPACE") { Description = "Space to delete" };
    private readonly Option<string?> _org = new("--org", "-o") { Description = "Org of the space (default: the targeted org)" };
    private readonly Option<bool> _force = ForceOption();

    public DeleteSpaceCommand(CliSession session)
        : base(session, "delete-space", "Delete a space, its apps and roles (org manager)")
    {
        Command.Arguments.Add(_name);
        Command.Options.Add(_org);
        Command.Options.Add(_force);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var name = parseResult.GetRequiredValue(_name);
        var (orgGuid, orgName) = await SpaceOrg.ResolveAsync(Session, parseResult.GetValue(_org), cancellationToken);
        if (!Ui.Confirm($"Really delete the space {name} in org {orgName}, including its apps and roles?", parseResult.GetValue(_force)))
        {
            Ui.Say("Delete cancelled.");
            return;
        }

        Ui.Say($"Deleting space {name} in org {orgName} as {Session.UserName}...");
        var space = await Session.Resolve.FindSpaceAsync(orgGuid, name, cancellationToken);
        if (space is null)
        {
            // Deleting what is already gone succeeds, as in cf, so scripts can be re-run.
            Ui.Warn($"Space {name} does not exist.");
            Ui.Ok();
            Ui.Result(Json.Null);
            return;
        }

        await Api.DeleteAsync($"/v3/spaces/{space.Guid}", cancellationToken);
        if (Session.Config.Space?.Guid == space.Guid)
        {
            await Session.SaveAsync(Session.Config with { Space = null }, cancellationToken);
        }

        Ui.Ok();
        Ui.Result(space.Raw);
    }
}
