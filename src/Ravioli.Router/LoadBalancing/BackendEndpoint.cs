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

/// <summary>Requests in flight to one backend; shared by every table and route that lists it.</summary>
internal sealed class BackendLoad
{
    private int _inFlight;

    public int InFlight => Volatile.Read(ref _inFlight);

    public void Enter() => Interlocked.Increment(ref _inFlight);

    public void Leave() => Interlocked.Decrement(ref _inFlight);
}

/// <summary>The app (process) a backend serves, with the counters its requests update.</summary>
internal sealed class AppTarget(string guid, string name, string processType, AppCounters counters)
{
    public string Guid { get; } = guid;
    public string Name { get; } = name;
    public string ProcessType { get; } = processType;
    public AppCounters Counters { get; } = counters;
}
