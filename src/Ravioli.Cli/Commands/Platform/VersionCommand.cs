using System.CommandLine;
using System.Reflection;
using System.Text.Json;
using Ravioli.Cli.Commands.Session;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.Platform;

/// <summary><c>rav version</c>: this CLI's version and, when an API is configured, the platform's.</summary>
internal sealed class VersionCommand : RavCommand
{
    public VersionCommand(CliSession session)
        : base(session, "version", "Show the version of rav and of the configured API")
    {
    }

    public static string CliVersion
        => typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(VersionCommand).Assembly.GetName().Version?.ToString()
            ?? "unknown";

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Ui.Say($"rav version {CliVersion}");
        string? apiVersion = null;
        if (Session.Config.ApiUrl is { } apiUrl)
        {
            try
            {
                var root = await Api.GetRootAsync(apiUrl, cancellationToken);
                apiVersion = ApiCommand.VersionOf(root) ?? "unknown";
                Ui.Say($"API version {apiVersion} at {apiUrl}");
            }
            catch (CliException e)
            {
                // The CLI's own version is what was asked for; an unreachable API is worth a note, not a failure.
                Ui.Warn(e.Message);
            }
        }

        Ui.Result(Json.ToElement(new VersionView(CliVersion, Session.Config.ApiUrl, apiVersion)));
    }

    private sealed record VersionView(string Version, string? ApiUrl, string? ApiVersion);
}
