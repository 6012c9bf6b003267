namespace Ravioli.Router.Configuration;

/// <summary>How the router picks one of a route's backends.</summary>
public enum BalancingPolicy
{
    /// <summary>The backend with the fewest requests in flight; ties go round the pool so idle backends share the load.</summary>
    LeastRequests,

    /// <summary>Each backend in turn.</summary>
    RoundRobin,
}
