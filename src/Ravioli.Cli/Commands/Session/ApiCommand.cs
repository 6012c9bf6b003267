using System.CommandLine;
using System.Text.Json;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.Session;

/// <summary><c>rav api</c>: shows or sets the API URL without logging in, like <c>cf api</c>.</summary>
internal sealed class ApiCommand : RavCommand
{
    private readonly Argument<string?> _url = new("URL") { Description = "API URL to use, e.g. http://127.0.0.1:8080", Arity = ArgumentArity.ZeroOrOne };

    public ApiCommand(CliSession session)
        : base(session, "api", "Show or set the API URL")
    {
        Command.Arguments.Add(_url);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var given = parseResult.GetValue(_url);
        if (given is null && Session.Config.ApiUrl is null)
        {
            throw new CliException($"No API set. Run 'rav api {CliSession.DefaultApiUrl}' or 'rav login -a URL'.");
        }

        var apiUrl = given is null ? Session.Config.ApiUrl! : ApiUrls.Normalize(given);
        if (given is not null)
        {
            Ui.Say($"Setting API endpoint to {apiUrl}...");
        }

        var root = await Api.GetRootAsync(apiUrl, cancellationToken);
        var version = VersionOf(root);
        if (given is not null && apiUrl != Session.Config.ApiUrl)
        {
            // Tokens and targets belong to the old platform; keeping them would send its tokens to the new one.
            await Session.SaveAsync(new Configuration.CliConfig { ApiUrl = apiUrl }, cancellationToken);
        }

        if (given is not null)
        {
            Ui.Ok();
            Ui.Blank();
        }

        Ui.Fields([new("API endpoint", apiUrl), new("API version", version ?? "unknown")]);
        if (!Session.Config.HasSession())
        {
            Ui.Blank();
            Ui.Say("Not logged in. Run 'rav login' to log in.");
        }

        Ui.Result(Json.ToElement(new ApiView(apiUrl, version, root)));
    }

    internal static string? VersionOf(JsonElement root)
        => root.TryGetProperty("ravioli", out var ravioli)
            && ravioli.ValueKind == JsonValueKind.Object
            && ravioli.TryGetProperty("version", out var version)
            && version.ValueKind == JsonValueKind.String
                ? version.GetString()
                : null;

    private sealed record ApiView(string ApiUrl, string? Version, JsonElement Info);
}
