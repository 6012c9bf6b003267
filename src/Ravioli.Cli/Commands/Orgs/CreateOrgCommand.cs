using System.CommandLine;
using System.Text.Json.Nodes;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.Orgs;

/// <summary><c>rav create-org</c>: an admin creates an org (with the <c>default</c> quota); an existing org is not an error.</summary>
internal sealed class CreateOrgCommand : RavCommand
{
    private readonly Argument<string> _name = new("ORG") { Description = "Name of the new org" };

    public CreateOrgCommand(CliSession session)
        : base(session, "create-org", "Create an org (admin only)")
    {
        Command.Arguments.Add(_name);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var name = parseResult.GetRequiredValue(_name);
        Ui.Say($"Creating org {name} as {Session.UserName}...");
        try
        {
            var org = await Api.PostAsync("/v3/organizations", new JsonObject { ["name"] = name }, cancellationToken);
            Ui.Ok();
            Ui.Blank();
            Ui.Say($"TIP: Use 'rav target -o {name}' to target the new org, and 'rav set-org-role USER {name} OrgManager' to give it a manager.");
            Ui.Result(org);
        }
        catch (ApiException e) when (e.IsUnprocessable)
        {
            // A duplicate is a 422 like any other validation error; only the lookup tells them apart.
            var existing = await Session.Resolve.FindOrgAsync(name, cancellationToken);
            if (existing is null)
            {
                throw;
            }

            Ui.Warn($"Org {existing.Name} already exists.");
            Ui.Ok();
            Ui.Result(existing.Raw);
        }
    }
}
