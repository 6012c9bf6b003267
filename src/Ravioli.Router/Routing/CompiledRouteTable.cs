using System.Buffers;
using Ravioli.Router.Configuration;
using Ravioli.Router.LoadBalancing;
using Ravioli.Router.Metrics;

namespace Ravioli.Router.Routing;

/// <summary>
/// A route table prepared for lookups: host → routes by longest path first. Built once per update and never
/// changed afterwards, so requests read it without locks while the next one is built.
/// </summary>
internal sealed class CompiledRouteTable
{
    public static readonly CompiledRouteTable Empty = new(RouteTable.Empty, 0, new(StringComparer.OrdinalIgnoreCase), [], new(StringComparer.Ordinal), new(StringComparer.Ordinal));

    private static readonly SearchValues<char> s_notInPath = SearchValues.Create("?# \t\r\n");

    // Looked up by span so that the Host header, port and all, is matched without allocating a trimmed copy.
    private readonly Dictionary<string, RouteEntry[]>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    private CompiledRouteTable(
        RouteTable source,
        long version,
        Dictionary<string, RouteEntry[]> hosts,
        BackendEndpoint[] backends,
        Dictionary<string, BackendLoad> loads,
        Dictionary<string, TurnCounter> turns)
    {
        Source = source;
        Version = version;
        _lookup = hosts.GetAlternateLookup<ReadOnlySpan<char>>();
        Backends = backends;
        Loads = loads;
        Turns = turns;
    }

    public RouteTable Source { get; }
    public long Version { get; }

    /// <summary>Every distinct backend, for metrics.</summary>
    public BackendEndpoint[] Backends { get; }

    private Dictionary<string, BackendLoad> Loads { get; }
    private Dictionary<string, TurnCounter> Turns { get; }

    /// <summary>The route for a host (without port) and path; a wildcard route when the host's own routes have no matching path, as in gorouter.</summary>
    public RouteEntry? Match(ReadOnlySpan<char> host, ReadOnlySpan<char> path)
    {
        if (_lookup.TryGetValue(host, out var routes) && Longest(routes, path) is { } exact)
        {
            return exact;
        }
        var dot = host.IndexOf('.');
        if (dot <= 0 || host.Length > 512)
        {
            return null;
        }
        Span<char> wildcard = stackalloc char[host.Length - dot + 1];
        wildcard[0] = '*';
        host[dot..].CopyTo(wildcard[1..]);
        return _lookup.TryGetValue(wildcard, out routes) ? Longest(routes, path) : null;
    }

    private static RouteEntry? Longest(RouteEntry[] routes, ReadOnlySpan<char> path)
    {
        // Sorted longest path first, so the first match is the longest.
        foreach (var route in routes)
        {
            if (route.Matches(path))
            {
                return route;
            }
        }
        return null;
    }

    /// <summary>Validates and compiles <paramref name="table"/>; throws <see cref="ArgumentException"/> naming the first bad route.</summary>
    public static CompiledRouteTable Build(RouteTable table, CompiledRouteTable previous, RouterMetrics metrics)
    {
        // Everything is checked before anything is built, so a rejected table leaves no trace (not even metrics).
        var valid = Validate(table);
        var loads = new Dictionary<string, BackendLoad>(StringComparer.Ordinal);
        var turns = new Dictionary<string, TurnCounter>(StringComparer.Ordinal);
        var apps = new Dictionary<string, AppTarget>(StringComparer.Ordinal);
        var endpoints = new Dictionary<string, BackendEndpoint>(StringComparer.Ordinal);
        var grouped = new Dictionary<string, (string Host, string Path, AppTarget App, List<BackendEndpoint> Backends)>(StringComparer.Ordinal);

        foreach (var (route, host, path) in valid)
        {
            var appKey = route.AppGuid + "\n" + route.ProcessType;
            if (!apps.TryGetValue(appKey, out var app))
            {
                var name = route.AppName ?? "";
                apps[appKey] = app = new AppTarget(route.AppGuid, name, route.ProcessType ?? "", metrics.CountersFor(route.AppGuid, name));
            }
            var key = host + path;
            if (!grouped.TryGetValue(key, out var group))
            {
                grouped[key] = group = (host, path, app, []);
            }
            foreach (var backend in route.Backends ?? [])
            {
                var backendKey = backend.InstanceId + "\n" + backend.Address;
                if (!endpoints.TryGetValue(backendKey, out var endpoint))
                {
                    var load = previous.Loads.GetValueOrDefault(backendKey) ?? new BackendLoad();
                    loads[backendKey] = load;
                    endpoints[backendKey] = endpoint = new BackendEndpoint(backend.InstanceId, backend.Index, backend.Address, app, load);
                }
                if (!group.Backends.Contains(endpoint))
                {
                    group.Backends.Add(endpoint);
                }
            }
        }

        var byHost = new Dictionary<string, List<RouteEntry>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, group) in grouped)
        {
            var turn = previous.Turns.GetValueOrDefault(key) ?? new TurnCounter();
            turns[key] = turn;
            if (!byHost.TryGetValue(group.Host, out var list))
            {
                byHost[group.Host] = list = [];
            }
            list.Add(new RouteEntry(group.Host, group.Path, group.App, [.. group.Backends], turn));
        }
        var hosts = new Dictionary<string, RouteEntry[]>(byHost.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (host, list) in byHost)
        {
            list.Sort(static (a, b) => b.Path.Length.CompareTo(a.Path.Length));
            hosts[host] = [.. list];
        }
        return new CompiledRouteTable(table, previous.Version + 1, hosts, [.. endpoints.Values], loads, turns);
    }

    private static List<(Route Route, string Host, string Path)> Validate(RouteTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(table.Routes);
        var valid = new List<(Route, string, string)>(table.Routes.Count);
        for (var i = 0; i < table.Routes.Count; i++)
        {
            var route = table.Routes[i] ?? throw new ArgumentException($"routes[{i}] is null.", nameof(table));
            var where = $"routes[{i}] ({route.Host}{route.Path})";
            var host = HostName.Normalize(route.Host ?? "")
                ?? throw new ArgumentException($"{where}: host '{route.Host}' is not a host name (letters, digits, '-', '.', optionally '*.' first; no port).", nameof(table));
            var path = NormalizePath(route.Path)
                ?? throw new ArgumentException($"{where}: path '{route.Path}' must be empty or start with '/' and hold no '?', '#' or spaces.", nameof(table));
            if (string.IsNullOrWhiteSpace(route.AppGuid))
            {
                throw new ArgumentException($"{where}: app guid is empty.", nameof(table));
            }
            foreach (var backend in route.Backends ?? [])
            {
                if (backend is null || string.IsNullOrWhiteSpace(backend.InstanceId))
                {
                    throw new ArgumentException($"{where}: a backend has no instance id.", nameof(table));
                }
                if (!IsAddress(backend.Address))
                {
                    throw new ArgumentException($"{where}: backend {backend.InstanceId} address '{backend.Address}' is not host:port.", nameof(table));
                }
            }
            valid.Add((route, host, path));
        }
        return valid;
    }

    private static string? NormalizePath(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "";
        }
        if (path[0] != '/' || path.AsSpan().IndexOfAny(s_notInPath) >= 0)
        {
            return null;
        }
        // Lower case because matching ignores case: "/API" and "/api" are one route, and must share its backends.
        return path.TrimEnd('/').ToLowerInvariant();
    }

    private static bool IsAddress(string? address)
    {
        if (string.IsNullOrWhiteSpace(address))
        {
            return false;
        }
        var colon = address.LastIndexOf(':');
        return colon > 0
            && int.TryParse(address.AsSpan(colon + 1), System.Globalization.NumberStyles.None, null, out var port)
            && port is > 0 and <= 65535
            && Uri.CheckHostName(address[..colon]) != UriHostNameType.Unknown;
    }
}
