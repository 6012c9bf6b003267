namespace Ravioli.Router.Routing;

/// <summary>Turns a Host header into the name routes are keyed by, without allocating.</summary>
internal static class HostName
{
    /// <summary>"App.Example.com:8081" → "App.Example.com", "[::1]:80" → "[::1]", "example.com." → "example.com"; case is left to the lookup.</summary>
    public static ReadOnlySpan<char> WithoutPort(ReadOnlySpan<char> host)
    {
        if (host.Length > 0 && host[0] == '[')
        {
            var close = host.IndexOf(']');
            return close < 0 ? host : host[..(close + 1)];
        }
        var colon = host.LastIndexOf(':');
        if (colon >= 0)
        {
            host = host[..colon];
        }
        return host.Length > 1 && host[^1] == '.' ? host[..^1] : host;
    }

    /// <summary>The form a route's host is stored in: lower case, no trailing dot. Returns null when it cannot be a host name.</summary>
    public static string? Normalize(string host)
    {
        var trimmed = host.Trim().TrimEnd('.').ToLowerInvariant();
        if (trimmed.Length == 0 || trimmed.Length > 253)
        {
            return null;
        }
        var labels = trimmed.StartsWith("*.", StringComparison.Ordinal) ? trimmed[2..] : trimmed;
        if (labels.Length == 0)
        {
            return null;
        }
        foreach (var c in labels)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
            {
                return null;
            }
        }
        return trimmed;
    }
}
