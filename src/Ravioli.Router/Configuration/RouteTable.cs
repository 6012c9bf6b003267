namespace Ravioli.Router.Configuration;

/// <summary>Everything the router routes, as the node sees it now; handed over whole to <see cref="Routing.RouteTableStore.Update"/>.</summary>
public sealed record RouteTable(IReadOnlyList<Route> Routes)
{
    public static readonly RouteTable Empty = new([]);
}

/// <summary>
/// One host (+ optional path prefix) mapped to one app's process. <paramref name="Host"/> is a host name without port,
/// matched case-insensitively; "*.example.com" matches "x.example.com" (one label, as in gorouter) when that host has no route of its own.
/// <paramref name="Path"/> is "" or "/prefix" and matches at a segment boundary. Several routes with the same host and
/// path (an app and its blue-green twin) share one pool of backends.
/// </summary>
public sealed record Route(string Host, string Path, string AppGuid, string AppName, string ProcessType, IReadOnlyList<Backend> Backends);

/// <summary>One running app instance; <paramref name="Address"/> is "host:port", e.g. "127.0.0.1:41234".</summary>
public sealed record Backend(string InstanceId, int Index, string Address);
