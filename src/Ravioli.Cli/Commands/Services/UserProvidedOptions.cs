using System.CommandLine;
using System.Text.Json.Nodes;
using Ravioli.Cli.Output;

namespace Ravioli.Cli.Commands.Services;

/// <summary>The flags of <c>create-user-provided-service</c> and <c>update-user-provided-service</c>, read into the API's fields.</summary>
internal sealed class UserProvidedOptions
{
    private readonly Option<string?> _credentials = new("-p")
    {
        Description = "Credentials: a JSON object inline, the path of a file holding one, or comma-separated names to be asked for, e.g. \"username, password\"",
        HelpName = "CREDENTIALS",
    };

    private readonly Option<string?> _syslog = new("-l") { Description = "URL apps' logs are drained to, e.g. syslog://logs.example.com:514", HelpName = "SYSLOG_DRAIN_URL" };
    private readonly Option<string?> _routeService = new("-r") { Description = "URL of a route service requests are sent through (https)", HelpName = "ROUTE_SERVICE_URL" };
    private readonly Option<string?> _tags = ServiceOptions.Tags();

    public void AddTo(Command command)
    {
        command.Options.Add(_credentials);
        command.Options.Add(_syslog);
        command.Options.Add(_routeService);
        command.Options.Add(_tags);
    }

    /// <summary>
    /// The fields given, as a request body (empty when no flag was given). Credentials named in a list are
    /// asked for here, before any request, so an interrupted prompt changes nothing.
    /// </summary>
    public JsonObject Read(ParseResult parseResult, Ui ui, string workingDirectory)
    {
        var body = new JsonObject();
        if (parseResult.GetValue(_credentials) is { } credentials)
        {
            body["credentials"] = ReadCredentials(credentials, ui, workingDirectory);
        }

        if (parseResult.GetValue(_syslog) is { } syslog)
        {
            body["syslog_drain_url"] = syslog.Trim();
        }

        if (parseResult.GetValue(_routeService) is { } routeService)
        {
            body["route_service_url"] = routeService.Trim();
        }

        if (ServiceTags.Parse(parseResult.GetValue(_tags)) is { } tags)
        {
            body["tags"] = new JsonArray([.. tags.Select(t => JsonValue.Create(t))]);
        }

        return body;
    }

    /// <summary>As cf: JSON or a JSON file is taken as is; anything else is a list of names whose values are asked for.</summary>
    internal static JsonObject ReadCredentials(string value, Ui ui, string workingDirectory)
    {
        if (JsonArgument.LooksLikeJson(value) || JsonArgument.FindFile(value, workingDirectory) is not null)
        {
            return JsonArgument.Read(value, "-p", workingDirectory)!;
        }

        var names = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
        if (names.Count == 0)
        {
            throw new CliException("-p names no credentials. Give a JSON object, e.g. -p '{\"username\":\"admin\"}', or the names to be asked for, e.g. -p \"username, password\".");
        }

        if (!ui.CanPrompt)
        {
            throw new CliException(
                $"Cannot ask for the values of {string.Join(", ", names)} because input is not a terminal. "
                + $"Give the credentials as JSON instead, e.g. -p '{{\"{names[0]}\":\"...\"}}', or the path of a JSON file.");
        }

        var credentials = new JsonObject();
        foreach (var name in names)
        {
            // Values are not echoed: they are credentials, and terminals get recorded.
            credentials[name] = ui.Prompt(name, secret: true) ?? string.Empty;
        }

        return credentials;
    }
}
