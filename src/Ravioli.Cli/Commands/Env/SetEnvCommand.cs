using System.CommandLine;
using System.Text.Json.Nodes;

namespace Ravioli.Cli.Commands.Env;

/// <summary><c>rav set-env</c>: sets one environment variable; it takes effect on the next restart or restage.</summary>
internal sealed class SetEnvCommand : RavCommand
{
    private readonly Argument<string> _name = new("APP_NAME") { Description = "App" };
    private readonly Argument<string> _variable = new("ENV_VAR_NAME") { Description = "Variable name" };
    private readonly Argument<string> _value = new("ENV_VAR_VALUE") { Description = "Value" };

    public SetEnvCommand(CliSession session)
        : base(session, "set-env", "Set an environment variable on an app (takes effect on restart)")
    {
        Command.Arguments.Add(_name);
        Command.Arguments.Add(_variable);
        Command.Arguments.Add(_value);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        var variable = parseResult.GetRequiredValue(_variable);

        // The value is not echoed: env vars often hold secrets, and terminals get recorded.
        Ui.Say($"Setting env variable {variable} for app {name} in org {org.Name} / space {space.Name} as {Session.UserName}...");
        var app = await Session.Resolve.AppAsync(space, name, cancellationToken);
        var env = await Api.PatchAsync(
            $"/v3/apps/{app.Guid}/environment_variables",
            new JsonObject { ["var"] = new JsonObject { [variable] = parseResult.GetRequiredValue(_value) } },
            cancellationToken);
        Ui.Ok();
        Ui.Blank();
        Ui.Say(EnvTip.For(app.Name));
        Ui.Result(env);
    }
}
