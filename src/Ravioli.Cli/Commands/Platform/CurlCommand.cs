using System.CommandLine;
using System.Net;
using System.Text.Json;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.Platform;

/// <summary><c>rav curl</c>: any API request with the user's token, for what no command covers yet.</summary>
internal sealed class CurlCommand : RavCommand
{
    private readonly Argument<string> _path = new("PATH") { Description = "API path, e.g. /v3/organizations" };
    private readonly Option<string?> _method = new("--request", "-X") { Description = "HTTP method (default: GET, or POST with -d)" };
    private readonly Option<string?> _data = new("--data", "-d") { Description = "Request body; @FILE reads it from a file" };
    private readonly Option<string[]> _headers = new("--header", "-H") { Description = "Extra header 'Name: value' (repeatable)", AllowMultipleArgumentsPerToken = false };

    public CurlCommand(CliSession session)
        : base(session, "curl", "Send a request to the API with your token and print the answer")
    {
        Command.Arguments.Add(_path);
        Command.Options.Add(_method);
        Command.Options.Add(_data);
        Command.Options.Add(_headers);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        if (Session.Config.ApiUrl is null)
        {
            throw new CliException(CliSession.NotLoggedInMessage);
        }

        var path = parseResult.GetRequiredValue(_path);
        var body = await ReadBodyAsync(parseResult.GetValue(_data), cancellationToken);
        var method = new HttpMethod((parseResult.GetValue(_method) ?? (body is null ? "GET" : "POST")).ToUpperInvariant());
        var headers = (parseResult.GetValue(_headers) ?? []).Select(ParseHeader).ToList();

        var response = await Api.SendRawAsync(method, path, body, headers, cancellationToken);
        var json = Json.TryParse(response.Body);
        var text = json is { } element
            ? (Ui.JsonMode ? JsonSerializer.Serialize(element) : Json.Pretty(element))
            : response.Body;
        if (text.Length > 0)
        {
            Session.Env.Out.WriteLine(text);
        }

        if ((int)response.Status >= 400)
        {
            var code = (int)response.Status;
            throw new CliException($"The API answered {method} {path} with {code} {ReasonOf(response.Status)}.");
        }
    }

    private static string ReasonOf(HttpStatusCode status) => Enum.IsDefined(status) ? status.ToString() : "error";

    private static async Task<string?> ReadBodyAsync(string? data, CancellationToken cancellationToken)
    {
        if (data is null || !data.StartsWith('@'))
        {
            return data;
        }

        var file = data[1..];
        try
        {
            return await File.ReadAllTextAsync(file, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"Cannot read the body from '{file}': {e.Message}", e);
        }
    }

    private static KeyValuePair<string, string> ParseHeader(string header)
    {
        var colon = header.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new CliException($"Invalid header '{header}'. Use -H 'Name: value'.");
        }

        return new(header[..colon].Trim(), header[(colon + 1)..].Trim());
    }
}
