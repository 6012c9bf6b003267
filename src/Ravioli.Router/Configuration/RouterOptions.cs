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
    /// How many other backends to try when an attempt fails before any response byte arrived: any request when
    /// connecting failed (nothing reached the app), and idempotent ones (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) whose
    /// body, if any, was not yet sent also when the connection was reset or closed before the response. Default 2.
    /// </summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>
    /// How long a backend that refused a connection or dropped one before answering is avoided while the route has
    /// others, so requests stop paying for an instance that died until the node's route table drops it. An ejected
    /// backend is still tried when every other one of its route is ejected or already tried. Zero turns ejection off.
    /// Default 5 s: a crashed instance is restarted and routed again in about 1 s, and an instance that stays dead
    /// costs one failed attempt (retried elsewhere where allowed) per 5 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan EjectionTime { get; set; } = TimeSpan.FromSeconds(5);

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
