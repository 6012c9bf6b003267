using System.CommandLine;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Env;

/// <summary><c>rav env</c>: the environment variables the user set on an app (space developers only: they hold secrets).</summary>
internal sealed class EnvCommand : RavCommand
{
    private readonly Argument<string> _name = new("APP_NAME") { Description = "App whose environment to show" };

    public EnvCommand(CliSession session)
        : base(session, "env", "Show the environment variables set on an app")
    {
        Command.Arguments.Add(_name);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        Ui.Say($"Getting env variables for app {name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        Ui.Blank();
        var app = await Session.Resolve.AppAsync(space, name, cancellationToken);
        var env = Json.Resource<EnvironmentVariablesResource>(await Api.GetAsync($"/v3/apps/{app.Guid}/environment_variables", cancellationToken));
        var variables = env.Var ?? new Dictionary<string, string>();
        if (variables.Count == 0)
        {
            Ui.Say("No user-provided env variables have been set.");
        }
        else
        {
            Ui.Say("User-Provided:");
            foreach (var (key, value) in variables.OrderBy(v => v.Key, StringComparer.Ordinal))
            {
                Ui.Say($"{key}: {value}");
            }
        }

        Ui.Result(env.Raw);
    }
}
