using System.CommandLine;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Orgs;

/// <summary><c>rav orgs</c>: the orgs the user has a role in (all of them for an admin).</summary>
internal sealed class OrgsCommand : RavCommand
{
    public OrgsCommand(CliSession session)
        : base(session, "orgs", "List the orgs you can see")
    {
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        Ui.Say($"Getting orgs as {Session.UserName}...");
        Ui.Blank();
        var orgs = await Api.ListAsync("/v3/organizations?order_by=name", cancellationToken);
        if (orgs.Resources.Count == 0)
        {
            Ui.Say("No orgs found.");
        }
        else
        {
            Ui.Table(["name"], orgs.Resources.Select(o => (IReadOnlyList<string>)[Json.As<OrganizationResource>(o).Name]));
        }

        Ui.Result(Json.Array(orgs.Resources));
    }
}
