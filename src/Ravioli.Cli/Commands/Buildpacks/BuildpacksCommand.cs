using System.CommandLine;
using System.Globalization;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Buildpacks;

/// <summary><c>rav buildpacks</c>: the buildpacks staging tries, in order (built-in ones included).</summary>
internal sealed class BuildpacksCommand : RavCommand
{
    public BuildpacksCommand(CliSession session)
        : base(session, "buildpacks", "List the buildpacks, in the order staging tries them")
    {
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        Ui.Say($"Getting buildpacks as {Session.UserName}...");
        Ui.Blank();
        var buildpacks = await Api.ListAsync("/v3/buildpacks", cancellationToken);
        if (buildpacks.Resources.Count == 0)
        {
            Ui.Say("No buildpacks found.");
        }
        else
        {
            Ui.Table(
                ["position", "name", "stack", "enabled", "locked", "state", "filename"],
                buildpacks.Resources.Select(Json.Resource<BuildpackResource>)
                    .OrderBy(b => b.Position ?? int.MaxValue)
                    .ThenBy(b => b.Name, StringComparer.Ordinal)
                    .Select(b => (IReadOnlyList<string>)
                    [
                        b.Position?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
                        b.Name,
                        b.Stack ?? string.Empty,
                        YesNo(b.Enabled),
                        YesNo(b.Locked),
                        (b.State ?? string.Empty).ToLowerInvariant(),
                        b.Filename ?? string.Empty,
                    ]));
        }

        Ui.Result(Json.Array(buildpacks.Resources));
    }

    private static string YesNo(bool? value) => value switch
    {
        true => "true",
        false => "false",
        null => string.Empty,
    };
}
