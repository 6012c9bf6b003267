using System.CommandLine;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Apps;

/// <summary><c>rav apps</c>: the apps in the targeted space.</summary>
internal sealed class AppsCommand : RavCommand
{
    public AppsCommand(CliSession session)
        : base(session, "apps", "List the apps in the targeted space")
    {
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        Ui.Say($"Getting apps in org {org.Name} / space {space.Name} as {Session.UserName}...");
        Ui.Blank();
        var apps = await Api.ListAsync($"/v3/apps?space_guids={Resolver.Escape(space.Guid)}&order_by=name", cancellationToken);
        if (apps.Resources.Count == 0)
        {
            Ui.Say("No apps found.");
        }
        else
        {
            Ui.Table(
                ["name", "state"],
                apps.Resources.Select(Json.As<AppResource>).Select(a => (IReadOnlyList<string>)[a.Name, (a.State ?? "unknown").ToLowerInvariant()]));
        }

        Ui.Result(Json.Array(apps.Resources));
    }
}
