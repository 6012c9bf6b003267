using Ravioli.Router.LoadBalancing;

namespace Ravioli.Router.Routing;

/// <summary>One host + path prefix of a compiled table with the backends of every app mapped to it.</summary>
internal sealed class RouteEntry(string host, string path, AppTarget app, BackendEndpoint[] backends, TurnCounter turn)
{
    public string Host { get; } = host;

    /// <summary>"" or "/prefix" without a trailing slash.</summary>
    public string Path { get; } = path;

    /// <summary>The first app mapped here; named in messages and charged for requests that never reach a backend.</summary>
    public AppTarget App { get; } = app;

    public BackendEndpoint[] Backends { get; } = backends;

    internal TurnCounter Turn { get; } = turn;

    public int NextTurn() => Turn.Next();

    /// <summary>Prefix match at a segment boundary: "/api" matches "/api" and "/api/x", not "/apix". Case-insensitive, as gorouter.</summary>
    public bool Matches(ReadOnlySpan<char> requestPath)
    {
        if (Path.Length == 0)
        {
            return true;
        }
        return requestPath.StartsWith(Path, StringComparison.OrdinalIgnoreCase)
            && (requestPath.Length == Path.Length || requestPath[Path.Length] == '/');
    }
}

/// <summary>A route's turn for balancing; outlives table swaps so round robin keeps its place.</summary>
internal sealed class TurnCounter
{
    // Starts before zero so the first request of a fresh route goes to the first backend: predictable in tests and logs.
    private int _turn = -1;

    public int Next() => Interlocked.Increment(ref _turn);
}
