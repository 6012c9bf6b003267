using System.CommandLine;
using System.Text.Json;
using Ravioli.Cli.Http;

namespace Ravioli.Cli.Commands.Logs;

/// <summary>
/// <c>rav logs</c>: an app's log lines (staging, app output, router, API, instance lifecycle), followed
/// until Ctrl+C or the platform closes the stream; with <c>--recent</c>, only the latest lines.
/// </summary>
internal sealed class LogsCommand : RavCommand
{
    private readonly Argument<string> _name = new("APP_NAME") { Description = "App whose logs to show" };
    private readonly Option<bool> _recent = new("--recent") { Description = "Show the recent lines and exit, instead of following new ones" };

    public LogsCommand(CliSession session)
        : base(session, "logs", "Show an app's logs: follow them until Ctrl+C, or --recent lines only (--json: one object per line)")
    {
        Command.Arguments.Add(_name);
        Command.Options.Add(_recent);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var name = parseResult.GetRequiredValue(_name);
        var recent = parseResult.GetValue(_recent);
        var app = await Session.Resolve.AppAsync(space, name, cancellationToken);
        Ui.Say(recent
            ? $"Retrieving logs for app {app.Name} in org {org.Name} / space {space.Name} as {Session.UserName}..."
            : $"Retrieving logs for app {app.Name} in org {org.Name} / space {space.Name} as {Session.UserName}... (Ctrl+C to stop)");
        Ui.Blank();
        var query = recent ? "recent=true" : "follow=true";
        var collected = new List<JsonElement>();
        try
        {
            using var response = await Api.OpenStreamAsync($"/v3/apps/{app.Guid}/logs?{query}", cancellationToken);
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0 || Json.TryParse(line) is not { ValueKind: JsonValueKind.Object } element)
                {
                    continue;
                }

                if (!Ui.JsonMode)
                {
                    Ui.Say(LogFormat.Line(LogFormat.Read(element)));
                }
                else if (recent)
                {
                    collected.Add(element);
                }
                else
                {
                    // A stream has no end to wait for before printing one array, so followed lines go out as NDJSON.
                    Session.Env.Out.WriteLine(JsonSerializer.Serialize(element));
                    await Session.Env.Out.FlushAsync(cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !recent)
        {
            // Ctrl+C is how following ends; it is not a failure.
            return;
        }
        catch (IOException) when (!recent)
        {
            // A dropped connection ends following just as a closed stream does; both are said below.
        }

        if (recent)
        {
            Ui.Result(Json.Array(collected));
        }
        else
        {
            Ui.Warn("The platform ended the log stream. Run the command again to go on following.");
        }
    }
}
