using System.Globalization;
using System.Text.Json;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Logs;

/// <summary>Renders a log entry the way cf does: <c>2026-11-21T20:00:00.12+0000 [APP/PROC/WEB/0] OUT listening on 61003</c>.</summary>
internal static class LogFormat
{
    /// <summary>
    /// Reads one NDJSON line leniently: a log line with an odd field (an instance index sent as a number,
    /// a timestamp in another format) is still worth showing, so nothing here fails.
    /// </summary>
    public static LogEntry Read(JsonElement line)
    {
        string? Text(string name) => line.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                _ => value.GetRawText(),
            }
            : null;

        var time = DateTimeOffset.TryParse(Text("timestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : (DateTimeOffset?)null;
        return new LogEntry(time, Text("source_type"), Text("instance"), Text("stream"), Text("message"));
    }

    public static string Line(LogEntry entry)
    {
        var time = (entry.Timestamp ?? DateTimeOffset.UnixEpoch).ToUniversalTime()
            .ToString("yyyy-MM-dd'T'HH:mm:ss.ff", CultureInfo.InvariantCulture) + "+0000";
        var source = entry.SourceType ?? "UNKNOWN";
        if (!string.IsNullOrEmpty(entry.Instance))
        {
            source += "/" + entry.Instance;
        }

        var stream = entry.Stream?.ToUpperInvariant() switch
        {
            "ERR" or "STDERR" => "ERR",
            _ => "OUT",
        };
        return $"{time} [{source}] {stream} {(entry.Message ?? string.Empty).TrimEnd('\r', '\n')}";
    }
}
