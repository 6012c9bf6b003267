using System.Globalization;
using System.Text;

namespace Ravioli.Router.AccessLog;

/// <summary>Renders an <see cref="AccessLogEntry"/> as one line in the layout of Cloud Foundry gorouter's access log.</summary>
public static class AccessLogFormatter
{
    /// <summary>
    /// <c>app.example.com - [2025-01-31T10:00:00.123+0000] "GET /path HTTP/1.1" 200 0 512 "-" "curl/8.5" "10.0.0.1:5123"
    /// "127.0.0.1:41234" x_forwarded_for:"10.0.0.1" x_forwarded_proto:"http" vcap_request_id:"…" response_time:0.003012
    /// app_id:"…" app_index:"0" instance_id:"…" x_cf_routererror:"-"</c>
    /// </summary>
    public static string Format(AccessLogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var line = new StringBuilder(384);
        Append(line, entry);
        return line.ToString();
    }

    public static void Append(StringBuilder line, AccessLogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(entry);
        var invariant = CultureInfo.InvariantCulture;
        Bare(line, entry.Host).Append(" - [");
        line.Append(entry.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'", invariant)).Append("] \"");
        Bare(line, entry.Method).Append(' ');
        Bare(line, entry.Path).Append(' ');
        Bare(line, entry.Protocol).Append("\" ");
        line.Append(entry.Status.ToString(invariant)).Append(' ')
            .Append(entry.RequestBytes.ToString(invariant)).Append(' ')
            .Append(entry.ResponseBytes.ToString(invariant)).Append(' ');
        Quoted(line, entry.Referer).Append(' ');
        Quoted(line, entry.UserAgent).Append(' ');
        Quoted(line, entry.ClientAddress).Append(' ');
        Quoted(line, entry.BackendAddress).Append(" x_forwarded_for:");
        Quoted(line, entry.ForwardedFor).Append(" x_forwarded_proto:");
        Quoted(line, entry.Scheme).Append(" vcap_request_id:");
        Quoted(line, entry.RequestId).Append(" response_time:");
        line.Append(entry.Duration.TotalSeconds.ToString("0.000000", invariant)).Append(" app_id:");
        Quoted(line, entry.AppGuid).Append(" app_index:");
        Quoted(line, entry.InstanceIndex?.ToString(invariant)).Append(" instance_id:");
        Quoted(line, entry.InstanceId).Append(" x_cf_routererror:");
        Quoted(line, entry.RouterError);
    }

    private static StringBuilder Quoted(StringBuilder line, string? value) => Bare(line.Append('"'), value).Append('"');

    /// <summary>Escapes what would break the line apart: quotes, backslashes and control characters from client-sent values.</summary>
    private static StringBuilder Bare(StringBuilder line, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return line.Append('-');
        }
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                line.Append('\\').Append(c);
            }
            else if (char.IsControl(c))
            {
                line.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            }
            else
            {
                line.Append(c);
            }
        }
        return line;
    }
}
