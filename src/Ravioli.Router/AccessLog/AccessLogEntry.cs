namespace Ravioli.Router.AccessLog;

/// <summary>One request as the router saw it; <see cref="AccessLogFormatter"/> renders it as a gorouter-style line.</summary>
public sealed record AccessLogEntry
{
    /// <summary>When the request arrived (UTC).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The Host header as sent, port included.</summary>
    public required string Host { get; init; }
    public required string Method { get; init; }

    /// <summary>The path without the query string: queries often carry tokens, and logs outlive them.</summary>
    public required string Path { get; init; }

    /// <summary>"HTTP/1.1", "HTTP/2".</summary>
    public required string Protocol { get; init; }

    /// <summary>"http" or "https" as the client reached the router (or X-Forwarded-Proto when trusted).</summary>
    public required string Scheme { get; init; }

    /// <summary>The status the client got; 499 when the client went away first, 101 for WebSockets.</summary>
    public required int Status { get; init; }

    /// <summary>Request body bytes forwarded to the app (client → app bytes for WebSockets).</summary>
    public required long RequestBytes { get; init; }

    /// <summary>Response body bytes sent to the client (app → client bytes for WebSockets).</summary>
    public required long ResponseBytes { get; init; }

    /// <summary>From arrival until the response was complete (the connection's lifetime for WebSockets).</summary>
    public required TimeSpan Duration { get; init; }

    public required string ClientAddress { get; init; }
    public required string RequestId { get; init; }

    /// <summary>Null when no route matched the host.</summary>
    public string? AppGuid { get; init; }
    public string? AppName { get; init; }
    public string? ProcessType { get; init; }

    /// <summary>The instance the request went to last; null when none was tried.</summary>
    public string? InstanceId { get; init; }
    public int? InstanceIndex { get; init; }
    public string? BackendAddress { get; init; }

    public string? UserAgent { get; init; }
    public string? Referer { get; init; }
    public string? ForwardedFor { get; init; }

    /// <summary>Why the router answered itself, as gorouter's X-Cf-RouterError: unknown_route, no_endpoints, endpoint_failure, timeout, …; null otherwise.</summary>
    public string? RouterError { get; init; }
}

/// <summary>
/// Receives an entry per finished request. Called on the request's thread after the response completed, so
/// implementations must not block: hand the entry to a channel or queue. Exceptions are logged and dropped.
/// </summary>
public interface IAccessLog
{
    void Write(AccessLogEntry entry);
}
