using Ravioli.Router.Metrics;

namespace Ravioli.Router.LoadBalancing;

/// <summary>
/// A backend as one route table knows it. Immutable per table; its <see cref="Load"/> is carried over to the next table
/// for the same instance and address, so least-requests keeps counting requests that started before a swap.
/// </summary>
internal sealed class BackendEndpoint(string instanceId, int index, string address, AppTarget app, BackendLoad load)
{
    public string InstanceId { get; } = instanceId;
    public int Index { get; } = index;
    public string Address { get; } = address;

    /// <summary>"http://host:port" so a request URI is one concatenation away.</summary>
    public string BaseUri { get; } = "http://" + address;

    public AppTarget App { get; } = app;
    public BackendLoad Load { get; } = load;
}

/// <summary>
/// The live state of one backend, shared by every table and route that lists it: requests in flight, and until when
/// to avoid it after it failed (a passive health check, like nginx's max_fails=1/fail_timeout or Envoy's outlier
/// ejection). A killed instance stays in the route table until the node notices; meanwhile every request picking it
/// would pay a failed attempt and, where a retry is not allowed, fail.
/// </summary>
internal sealed class BackendLoad
{
    private int _inFlight;
    private long _ejectedUntil;

    public int InFlight => Volatile.Read(ref _inFlight);

    public void Enter() => Interlocked.Increment(ref _inFlight);

    public void Leave() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Whether the backend failed recently; <paramref name="now"/> is <see cref="Environment.TickCount64"/>.</summary>
    public bool IsEjected(long now) => now < Volatile.Read(ref _ejectedUntil);

    /// <summary>Avoids the backend for <paramref name="duration"/> from now, unless no other backend is left.</summary>
    public void Eject(TimeSpan duration) => Volatile.Write(ref _ejectedUntil, Environment.TickCount64 + (long)duration.TotalMilliseconds);

    /// <summary>The backend answered: whatever failed before is over (it may have been restarted at the same address).</summary>
    public void Recovered()
    {
        if (Volatile.Read(ref _ejectedUntil) != 0)
        {
            Volatile.Write(ref _ejectedUntil, 0);
        }
    }
}

/// <summary>The app (process) a backend serves, with the counters its requests update.</summary>
internal sealed class AppTarget(string guid, string name, string processType, AppCounters counters)
{
    public string Guid { get; } = guid;
    public string Name { get; } = name;
    public string ProcessType { get; } = processType;
    public AppCounters Counters { get; } = counters;
}
