using System.CommandLine;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.Orgs;

/// <summary><c>rav delete-org</c>: deletes an org with its spaces, apps and roles.</summary>
internal sealed class DeleteOrgCommand : RavCommand
{
    private readonly Argument<string> _name = new("ORG") { Description = "Org to delete" };
    private readonly Option<bool> _force = ForceOption();

    public DeleteOrgCommand(CliSession session)
        : base(session, "delete-org", "Delete an org, its spaces, apps and roles (admin only)")
    {
        Command.Arguments.Add(_name);
        Command.Options.Add(_force);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var name = parseResult.GetRequiredValue(_name);
        if (!Ui.Confirm($"Really delete the org {name}, including its spaces, apps and roles?", parseResult.GetValue(_force)))
        {
            Ui.Say("Delete cancelled.");
            return;
        }

        Ui.Say($"Deleting org {name} as {Session.UserName}...");
        var org = await Session.Resolve.FindOrgAsync(name, cancellationToken);
        if (org is null)
        {
            // Deleting what is already gone succeeds, as in cf, so scripts can be re-run.
            Ui.Warn($"Org {name} does not exist.");
            Ui.Ok();
            Ui.Result(Json.Null);
            return;
        }

        await Api.DeleteAsync($"/v3/organizations/{org.Guid}", cancellationToken);
        if (Session.Config.Organization?.Guid == org.Guid)
        {
            await Session.SaveAsync(Session.Config with { Organization = null, Space = null }, cancellationToken);
        }

        Ui.Ok();
        Ui.Result(org.Raw);
    }
}
