using System.CommandLine;
using System.Net;
using System.Text.Json;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Env;

/// <summary>
/// <c>rav env</c>: an app's environment as its next start will see it: what the platform provides
/// (<c>VCAP_SERVICES</c> with the bound services' credentials, <c>VCAP_APPLICATION</c>) and the variables the
/// user set (space developers only: they hold secrets).
/// </summary>
internal sealed class EnvCommand : RavCommand
{
    private readonly Argument<string> _name = new("APP_NAME") { Description = "App whose environment to show" };

    public EnvCommand(CliSession session)
        : base(session, "env", "Show an app's environment: bound services (VCAP_SERVICES) and the variables set on it")
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
        JsonElement env;
        try
        {
            env = await Api.GetAsync($"/v3/apps/{app.Guid}/env", cancellationToken);
        }
        catch (ApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            // A platform from before the service marketplace has only the user's variables.
            var variables = Json.Resource<EnvironmentVariablesResource>(await Api.GetAsync($"/v3/apps/{app.Guid}/environment_variables", cancellationToken));
            PrintUserProvided(variables.Var);
            Ui.Result(variables.Raw);
            return;
        }

        var system = Section(env, "system_env_json");
        var application = Section(env, "application_env_json");
        if (system.Count > 0 || application.Count > 0)
        {
            Ui.Say("System-Provided:");
            foreach (var (key, value) in system.Concat(application))
            {
                Ui.Say($"{key}: {Pretty(value)}");
                Ui.Blank();
            }
        }

        var user = Section(env, "environment_variables")
            .ToDictionary(v => v.Key, v => v.Value.ValueKind == JsonValueKind.String ? v.Value.GetString()! : v.Value.GetRawText(), StringComparer.Ordinal);
        PrintUserProvided(user);
        PrintGroup(Section(env, "running_env_json"), "Running");
        PrintGroup(Section(env, "staging_env_json"), "Staging");
        Ui.Result(env);
    }

    private void PrintUserProvided(IReadOnlyDictionary<string, string>? variables)
    {
        if (variables is null || variables.Count == 0)
        {
            Ui.Say("No user-provided env variables have been set.");
            return;
        }

        Ui.Say("User-Provided:");
        foreach (var (key, value) in variables.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            Ui.Say($"{key}: {value}");
        }
    }

    /// <summary>Environment variable groups (set by an admin for every app), shown only when there are any.</summary>
    private void PrintGroup(List<KeyValuePair<string, JsonElement>> group, string kind)
    {
        if (group.Count == 0)
        {
            return;
        }

        Ui.Blank();
        Ui.Say($"{kind} Environment Variable Groups:");
        foreach (var (key, value) in group.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            Ui.Say($"{key}: {(value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText())}");
        }
    }

    private static List<KeyValuePair<string, JsonElement>> Section(JsonElement env, string name)
        => env.ValueKind == JsonValueKind.Object && env.TryGetProperty(name, out var section) && section.ValueKind == JsonValueKind.Object
            ? [.. section.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value))]
            : [];

    /// <summary>
    /// VCAP_SERVICES and VCAP_APPLICATION indented, as cf shows them, so a binding's credentials can be read
    /// at a glance; a value the platform sent as a JSON string is shown as the JSON it holds.
    /// </summary>
    internal static string Pretty(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String && Json.TryParse(value.GetString()!) is { ValueKind: JsonValueKind.Object or JsonValueKind.Array } inner)
        {
            value = inner;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString()! : Json.Pretty(value);
    }
}
