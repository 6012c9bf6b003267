using Ravioli.Router.Configuration;
using Ravioli.Router.Routing;

namespace Ravioli.Router.LoadBalancing;

/// <summary>
/// Chooses a route's backend for one attempt, skipping those a retry already tried and, while any other is left,
/// those ejected after a recent failure (<see cref="BackendLoad.IsEjected"/>). When every untried backend is ejected
/// one of them is still tried: a route table whose instances all failed a moment ago may be healthy again, and a 502
/// from trying is no worse than one from not trying.
/// </summary>
internal static class BackendPicker
{
    /// <param name="turn">The request's turn on the route (<see cref="RouteEntry.NextTurn"/>), taken once: retries keep it.</param>
    public static BackendEndpoint? Pick(BalancingPolicy policy, RouteEntry route, int turn, ReadOnlySpan<BackendEndpoint?> tried)
    {
        var backends = route.Backends;
        if (backends.Length == 0 || tried.Length >= backends.Length)
        {
            return null;
        }
        // The turn serves both policies: round robin's position, and least-requests' starting point so that ties
        // (the common case of idle backends) are broken by rotation rather than always by the first backend.
        var start = (int)((uint)turn % (uint)backends.Length);
        var now = Environment.TickCount64;
        return policy == BalancingPolicy.RoundRobin
            ? RoundRobin(backends, start, tried, now, skipEjected: true) ?? RoundRobin(backends, start, tried, now, skipEjected: false)
            : LeastRequests(backends, start, tried, now, skipEjected: true) ?? LeastRequests(backends, start, tried, now, skipEjected: false);
    }

    private static BackendEndpoint? RoundRobin(BackendEndpoint[] backends, int start, ReadOnlySpan<BackendEndpoint?> tried, long now, bool skipEjected)
    {
        for (var i = 0; i < backends.Length; i++)
        {
            var candidate = backends[(start + i) % backends.Length];
            if (!Contains(tried, candidate) && !(skipEjected && candidate.Load.IsEjected(now)))
            {
                return candidate;
            }
        }
        return null;
    }

    private static BackendEndpoint? LeastRequests(BackendEndpoint[] backends, int start, ReadOnlySpan<BackendEndpoint?> tried, long now, bool skipEjected)
    {
        BackendEndpoint? best = null;
        var bestLoad = int.MaxValue;
        // A scan, not power-of-two-choices: routes have a handful of instances, and a scan never picks a busy
        // backend while an idle one exists, which is what a slow request next to fast ones needs.
        for (var i = 0; i < backends.Length; i++)
        {
            var candidate = backends[(start + i) % backends.Length];
            var load = candidate.Load.InFlight;
            if (load < bestLoad && !Contains(tried, candidate) && !(skipEjected && candidate.Load.IsEjected(now)))
            {
                best = candidate;
                bestLoad = load;
                if (load == 0)
                {
                    break;
                }
            }
        }
        return best;
    }

    private static bool Contains(ReadOnlySpan<BackendEndpoint?> tried, BackendEndpoint candidate)
    {
        foreach (var t in tried)
        {
            if (ReferenceEquals(t, candidate))
            {
                return true;
            }
        }
        return false;
    }
}
