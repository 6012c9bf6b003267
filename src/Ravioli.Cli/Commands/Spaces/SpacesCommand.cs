using System.CommandLine;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Spaces;

/// <summary><c>rav spaces</c>: the spaces of the targeted org that the user can see.</summary>
internal sealed class SpacesCommand : RavCommand
{
    public SpacesCommand(CliSession session)
        : base(session, "spaces", "List the spaces in the targeted org")
    {
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        Ui.Say($"Getting spaces in org {org.Name} as {Session.UserName}...");
        Ui.Blank();
        var spaces = await Api.ListAsync($"/v3/spaces?organization_guids={Resolver.Escape(org.Guid)}&order_by=name", cancellationToken);
        if (spaces.Resources.Count == 0)
        {
            Ui.Say($"No spaces found. Create one with 'rav create-space SPACE'.");
        }
        else
        {
            Ui.Table(["name"], spaces.Resources.Select(s => (IReadOnlyList<string>)[Json.As<SpaceResource>(s).Name]));
        }

        Ui.Result(Json.Array(spaces.Resources));
    }
}
