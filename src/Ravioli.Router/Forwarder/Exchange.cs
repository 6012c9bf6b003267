using Microsoft.AspNetCore.Http;
using Ravioli.Router.LoadBalancing;
using Ravioli.Router.Routing;

namespace Ravioli.Router.Forwarder;

/// <summary>One request on its way through the router: what the access log and the metrics need once it is over.</summary>
internal sealed class Exchange(HttpContext context, long startTimestamp, DateTimeOffset startTime, string host)
{
    public HttpContext Context { get; } = context;
    public long StartTimestamp { get; } = startTimestamp;
    public DateTimeOffset StartTime { get; } = startTime;

    /// <summary>The Host header as sent.</summary>
    public string Host { get; } = host;

    public RouteEntry? Route { get; set; }
    public string RequestId { get; set; } = "";

    /// <summary>The backend of the last attempt.</summary>
    public BackendEndpoint? Backend { get; set; }

    /// <summary>The status to record when it is not the response's: 499 for a client that left, 101 for a tunnel.</summary>
    public int Status { get; set; }

    public long RequestBytes { get; set; }
    public long ResponseBytes { get; set; }
    public string? Error { get; set; }

    /// <summary>When the backend's 101 arrived; a WebSocket's latency ends there, its lifetime does not.</summary>
    public long UpgradedTimestamp { get; set; }

    public string? ForwardedFor { get; set; }
    public string? Scheme { get; set; }

    public void ClientLeft()
    {
        Status = 499;
        Error ??= RouterErrors.ClientGone;
    }
}
