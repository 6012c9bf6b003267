using Ravioli.Router.Configuration;
using Ravioli.Router.Routing;

namespace Ravioli.Router.LoadBalancing;

/// <summary>Chooses a route's backend for one attempt, skipping those a retry already tried.</summary>
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
        return policy == BalancingPolicy.RoundRobin
            ? RoundRobin(backends, start, tried)
            : LeastRequests(backends, start, tried);
    }

    private static BackendEndpoint? RoundRobin(BackendEndpoint[] backends, int start, ReadOnlySpan<BackendEndpoint?> tried)
    {
        for (var i = 0; i < backends.Length; i++)
        {
            var candidate = backends[(start + i) % backends.Length];
            if (!Contains(tried, candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static BackendEndpoint? LeastRequests(BackendEndpoint[] backends, int start, ReadOnlySpan<BackendEndpoint?> tried)
    {
        BackendEndpoint? best = null;
        var bestLoad = int.MaxValue;
        // A scan, not power-of-two-choices: routes have a handful of instances, and a scan never picks a busy
        // backend while an idle one exists, which is what a slow request next to fast ones needs.
        for (var i = 0; i < backends.Length; i++)
        {
            var candidate = backends[(start + i) % backends.Length];
            var load = candidate.Load.InFlight;
            if (load < bestLoad && !Contains(tried, candidate))
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
