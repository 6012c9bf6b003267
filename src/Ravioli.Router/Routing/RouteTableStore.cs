using Ravioli.Router.Configuration;
using Ravioli.Router.Metrics;

namespace Ravioli.Router.Routing;

/// <summary>
/// Holds the route table the router uses. <see cref="Update"/> replaces it whole; requests already on their way
/// keep the backend they picked, so removing an instance drains it instead of cutting its requests.
/// </summary>
public sealed class RouteTableStore
{
    private readonly RouterMetrics _metrics;
    private readonly Lock _updateLock = new();
    private CompiledRouteTable _current = CompiledRouteTable.Empty;

    public RouteTableStore(RouterMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _metrics = metrics;
    }

    /// <summary>The table in use now.</summary>
    public RouteTable Current => Compiled.Source;

    /// <summary>Counts updates; 0 until the first one.</summary>
    public long Version => Compiled.Version;

    internal CompiledRouteTable Compiled => Volatile.Read(ref _current);

    /// <summary>
    /// Validates and swaps in <paramref name="table"/> atomically. An invalid table throws <see cref="ArgumentException"/>
    /// naming the route, and the current table stays in use.
    /// </summary>
    public void Update(RouteTable table)
    {
        // Writers serialize so each build can carry over the previous table's balancing state; readers never lock.
        lock (_updateLock)
        {
            var next = CompiledRouteTable.Build(table, _current, _metrics);
            _metrics.SetBackends(next.Backends);
            Volatile.Write(ref _current, next);
        }
    }
}
