using System.ComponentModel.DataAnnotations;

namespace Ravioli.Router.Configuration;

/// <summary>Settings of the router; read once at start, each with a documented default.</summary>
public sealed class RouterOptions
{
    public const string Section = "Ravioli:Router";

    public BalancingPolicy Balancing { get; set; } = BalancingPolicy.LeastRequests;

    /// <summary>
    /// How long a request may make no progress before the router gives up: waiting for the backend's response
    /// headers, or for the next body bytes in either direction. Without response headers the client gets a 504;
    /// afterwards the connection is cut. Progress resets the clock, so long uploads, downloads and server-sent
    /// events live as long as bytes move; WebSocket connections have no timeout. Default 120 s: gorouter's 900 s
    /// holds sockets for a quarter hour behind a hung app, and 120 s is above the common 60-100 s of load balancers.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>How long a TCP connect to a backend may take before it counts as failed (and is retried). Default 5 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many other backends to try when connecting fails before any request byte was sent. Only requests that
    /// are safe to send again are retried: idempotent methods, and any request without a body. Default 2.
    /// </summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>The largest request body the router forwards; larger ones get a 413. Default 1 GiB.</summary>
    [Range(1L, long.MaxValue)]
    public long MaxRequestBodySize { get; set; } = 1L << 30;

    /// <summary>
    /// How long an idle keep-alive connection to a backend stays pooled. Default 60 s; apps that close idle
    /// connections sooner (Node.js does after 5 s) are handled by the client's retry on a stale pooled connection.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PooledConnectionIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Whether X-Forwarded-For/-Proto/-Host from the client are kept (the address is appended to X-Forwarded-For).
    /// True suits a router behind a TLS-terminating load balancer, as gorouter's default; set false when clients
    /// reach the router directly so they cannot claim another address or scheme. Default true.
    /// </summary>
    public bool TrustForwardedHeaders { get; set; } = true;
}
