using System.CommandLine;
using System.Text.Json.Nodes;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Env;

/// <summary><c>rav unset-env</c>: removes one environment variable; a variable that is not set is not an error.</summary>
internal sealed class UnsetEnvCommand : RavCommand
{
    private readonly Argument<string> _name = new("APP_NAME") { Description = "App" };
    private readonly Argument<string> _variable = new("ENV_VAR_NAME") { Description = "Variable to remove" };

    public UnsetEnvCommand(CliSession session)
        : base(session, "unset-env", "Remove an environment variable from an app (takes effect on restart)")
    {
        Command.Arguments.Add(_name);
        Command.Arguments.Add(_variable);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        var variable = parseResult.GetRequiredValue(_variable);
        Ui.Say($"Removing env variable {variable} from app {name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        var app = await Session.Resolve.AppAsync(space, name, cancellationToken);
        var env = Json.Resource<EnvironmentVariablesResource>(await Api.GetAsync($"/v3/apps/{app.Guid}/environment_variables", cancellationToken));
        if (env.Var is null || !env.Var.ContainsKey(variable))
        {
            Ui.Warn($"Env variable {variable} was not set.");
            Ui.Ok();
            Ui.Result(env.Raw);
            return;
        }

        var updated = await Api.PatchAsync(
            $"/v3/apps/{app.Guid}/environment_variables",
            new JsonObject { ["var"] = new JsonObject { [variable] = null } },
            cancellationToken);
        Ui.Ok();
        Ui.Blank();
        Ui.Say(EnvTip.For(app.Name));
        Ui.Result(updated);
    }
}
