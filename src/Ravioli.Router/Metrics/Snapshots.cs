namespace Ravioli.Router.Metrics;

/// <summary>All router metrics at one moment.</summary>
/// <param name="UnroutedRequests">Requests for a host no route maps (answered 404).</param>
public sealed record RouterMetricsSnapshot(IReadOnlyList<AppMetricsSnapshot> Apps, long UnroutedRequests, IReadOnlyList<BackendLoadSnapshot> Backends);

/// <summary>
/// One app's requests since the router started. Status classes count what the client got, 499 for clients that went
/// away. <paramref name="TotalLatency"/> and <paramref name="Latency"/> cover requests until their response was
/// complete; WebSocket connections count their time to the 101, not their lifetime.
/// </summary>
public sealed record AppMetricsSnapshot(
    string AppGuid,
    string AppName,
    long Requests,
    long Status1xx,
    long Status2xx,
    long Status3xx,
    long Status4xx,
    long Status5xx,
    TimeSpan TotalLatency,
    IReadOnlyList<LatencyBucket> Latency);

/// <summary>Requests whose latency was above the previous bucket's bound and at most <paramref name="UpperBoundMs"/> (not cumulative).</summary>
public sealed record LatencyBucket(double UpperBoundMs, long Count);

/// <summary>Requests in flight to one backend of the current table; least-requests balancing reads the same counter.</summary>
public sealed record BackendLoadSnapshot(string AppGuid, string InstanceId, int Index, string Address, int InFlight);
