using System.CommandLine;
using System.Text.Json.Nodes;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.Spaces;

/// <summary><c>rav create-space</c>: an org manager creates a space in an org (the targeted one by default).</summary>
internal sealed class CreateSpaceCommand : RavCommand
{
    private readonly Argument<string> _name = new("SPACE") { Description = "Name of the new space" };
    private readonly Option<string?> _org = new("--org", "-o") { Description = "Org to create it in (default: the targeted org)" };

    public CreateSpaceCommand(CliSession session)
        : base(session, "create-space", "Create a space (org manager)")
    {
        Command.Arguments.Add(_name);
        Command.Options.Add(_org);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var name = parseResult.GetRequiredValue(_name);
        var (orgGuid, orgName) = await SpaceOrg.ResolveAsync(Session, parseResult.GetValue(_org), cancellationToken);
        Ui.Say($"Creating space {name} in org {orgName} as {Session.UserName}...");
        try
        {
            var space = await Api.PostAsync(
                "/v3/spaces",
                new JsonObject
                {
                    ["name"] = name,
                    ["relationships"] = new JsonObject
                    {
                        ["organization"] = new JsonObject { ["data"] = new JsonObject { ["guid"] = orgGuid } },
                    },
                },
                cancellationToken);
            Ui.Ok();
            Ui.Blank();
            Ui.Say($"TIP: Use 'rav target -o {orgName} -s {name}' to target the new space.");
            Ui.Result(space);
        }
        catch (ApiException e) when (e.IsUnprocessable)
        {
            // A duplicate is a 422 like any other validation error; only the lookup tells them apart.
            var existing = await Session.Resolve.FindSpaceAsync(orgGuid, name, cancellationToken);
            if (existing is null)
            {
                throw;
            }

            Ui.Warn($"Space {existing.Name} already exists.");
            Ui.Ok();
            Ui.Result(existing.Raw);
        }
    }
}
