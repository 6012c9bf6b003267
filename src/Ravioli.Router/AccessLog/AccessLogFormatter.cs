using System.Buffers;
using System.Globalization;
using System.Text;

namespace Ravioli.Router.AccessLog;

/// <summary>Renders an <see cref="AccessLogEntry"/> as one line in the layout of Cloud Foundry gorouter's access log.</summary>
public static class AccessLogFormatter
{
    // What would break the line apart: quotes, backslashes and control characters (C0, DEL, C1).
    private static readonly SearchValues<char> s_escaped = SearchValues.Create(
        "\"\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\u007f"
        + "\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008a\u008b\u008c\u008d\u008e\u008f"
        + "\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009a\u009b\u009c\u009d\u009e\u009f");

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
        // Formatted in place (no string per field): the node formats a line per request, on the same cores.
        var invariant = CultureInfo.InvariantCulture;
        Bare(line, entry.Host).Append(" - [");
        line.Append(invariant, $"{entry.Timestamp.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'+0000'}").Append("] \"");
        Bare(line, entry.Method).Append(' ');
        Bare(line, entry.Path).Append(' ');
        Bare(line, entry.Protocol).Append("\" ");
        line.Append(invariant, $"{entry.Status} {entry.RequestBytes} {entry.ResponseBytes} ");
        Quoted(line, entry.Referer).Append(' ');
        Quoted(line, entry.UserAgent).Append(' ');
        Quoted(line, entry.ClientAddress).Append(' ');
        Quoted(line, entry.BackendAddress).Append(" x_forwarded_for:");
        Quoted(line, entry.ForwardedFor).Append(" x_forwarded_proto:");
        Quoted(line, entry.Scheme).Append(" vcap_request_id:");
        Quoted(line, entry.RequestId).Append(" response_time:");
        line.Append(invariant, $"{entry.Duration.TotalSeconds:0.000000}").Append(" app_id:");
        Quoted(line, entry.AppGuid).Append(" app_index:\"");
        if (entry.InstanceIndex is { } index)
        {
            line.Append(invariant, $"{index}");
        }
        else
        {
            line.Append('-');
        }
        line.Append("\" instance_id:");
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
        var rest = value.AsSpan();
        int next;
        while ((next = rest.IndexOfAny(s_escaped)) >= 0)
        {
            line.Append(rest[..next]);
            var c = rest[next];
            if (c is '"' or '\\')
            {
                line.Append('\\').Append(c);
            }
            else
            {
                line.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
            rest = rest[(next + 1)..];
        }
        return line.Append(rest);
    }
}
