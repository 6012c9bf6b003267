using System.Collections.Concurrent;
using Ravioli.Router.LoadBalancing;

namespace Ravioli.Router.Metrics;

/// <summary>
/// In-memory request metrics per app and the load on each backend. Counters only grow (Prometheus counter
/// semantics) and live for the process, also for apps no longer routed, so a scrape never sees them go back.
/// </summary>
public sealed class RouterMetrics
{
    private readonly ConcurrentDictionary<string, AppCounters> _apps = new(StringComparer.Ordinal);
    private BackendEndpoint[] _backends = [];
    private long _unrouted;

    /// <summary>Reads every counter. Each value is exact; values of concurrent requests may land in one snapshot and not yet in another.</summary>
    public RouterMetricsSnapshot Snapshot()
    {
        var apps = new List<AppMetricsSnapshot>(_apps.Count);
        foreach (var counters in _apps.Values)
        {
            apps.Add(counters.Snapshot());
        }
        apps.Sort(static (a, b) => string.CompareOrdinal(a.AppGuid, b.AppGuid));
        var backends = Volatile.Read(ref _backends);
        var loads = new BackendLoadSnapshot[backends.Length];
        for (var i = 0; i < backends.Length; i++)
        {
            var b = backends[i];
            loads[i] = new BackendLoadSnapshot(b.App.Guid, b.InstanceId, b.Index, b.Address, b.Load.InFlight);
        }
        return new RouterMetricsSnapshot(apps, Interlocked.Read(ref _unrouted), loads);
    }

    /// <summary>The counters of one app, or null when it has seen no route yet.</summary>
    public AppMetricsSnapshot? Snapshot(string appGuid) => _apps.TryGetValue(appGuid, out var counters) ? counters.Snapshot() : null;

    internal AppCounters CountersFor(string appGuid, string appName)
    {
        var counters = _apps.GetOrAdd(appGuid, static (guid, name) => new AppCounters(guid, name), appName);
        counters.AppName = appName;
        return counters;
    }

    internal void RecordUnrouted() => Interlocked.Increment(ref _unrouted);

    internal void SetBackends(BackendEndpoint[] backends) => Volatile.Write(ref _backends, backends);
}
