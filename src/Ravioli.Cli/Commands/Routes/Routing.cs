using System.Text.Json.Nodes;
using Ravioli.Cli.Configuration;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Routes;

/// <summary>Finding, creating and mapping routes by host, domain and path, shared by the route commands and push.</summary>
internal static class Routing
{
    public static string Url(string host, string domain, string path) => (host.Length == 0 ? domain : $"{host}.{domain}") + path;

    /// <summary>The route with exactly this host, domain and path among those the user can see, wherever it is.</summary>
    public static async Task<RouteResource?> FindAsync(ApiClient api, string host, DomainResource domain, string path, CancellationToken cancellationToken)
    {
        // An empty filter value matches nothing on the API, so the empty host and path are matched here instead.
        var query = $"/v3/routes?domain_guids={Resolver.Escape(domain.Guid)}";
        if (host.Length > 0)
        {
            query += $"&hosts={Resolver.Escape(host)}";
        }

        if (path.Length > 0)
        {
            query += $"&paths={Resolver.Escape(path)}";
        }

        var routes = await api.ListAsync(query, cancellationToken);
        return routes.Resources.Select(Json.Resource<RouteResource>)
            .FirstOrDefault(r => r.Host == host && (r.Path ?? string.Empty) == path);
    }

    /// <summary>
    /// The route in <paramref name="space"/>, created when missing. A route that exists elsewhere belongs to
    /// another space: say so, and how to get a free one, rather than the API's bare conflict.
    /// </summary>
    public static async Task<(RouteResource Route, bool Created)> EnsureAsync(
        ApiClient api, TargetRef space, string host, DomainResource domain, string path, CancellationToken cancellationToken)
    {
        var url = Url(host, domain.Name, path);
        var existing = await FindAsync(api, host, domain, path, cancellationToken);
        if (existing is not null)
        {
            return existing.Relationships?.Space?.Data?.Guid == space.Guid ? (existing, false) : throw Taken(url);
        }

        var body = new JsonObject
        {
            ["host"] = host,
            ["relationships"] = new JsonObject
            {
                ["space"] = new JsonObject { ["data"] = new JsonObject { ["guid"] = space.Guid } },
                ["domain"] = new JsonObject { ["data"] = new JsonObject { ["guid"] = domain.Guid } },
            },
        };
        if (path.Length > 0)
        {
            body["path"] = path;
        }

        try
        {
            return (Json.Resource<RouteResource>(await api.PostAsync("/v3/routes", body, cancellationToken)), true);
        }
        catch (ApiException e) when (e.IsUnprocessable && e.Message.Contains("already taken", StringComparison.OrdinalIgnoreCase))
        {
            // Taken, but not by a space this user can see (the lookup above would have found it).
            throw Taken(url, e);
        }
    }

    public static async Task MapAsync(ApiClient api, RouteResource route, AppResource app, CancellationToken cancellationToken)
        => await api.PostAsync(
            $"/v3/routes/{route.Guid}/destinations",
            new JsonObject
            {
                ["destinations"] = new JsonArray(new JsonObject
                {
                    ["app"] = new JsonObject { ["guid"] = app.Guid, ["process"] = new JsonObject { ["type"] = "web" } },
                }),
            },
            cancellationToken);

    private static CliException Taken(string url, Exception? inner = null)
    {
        var message = $"Route {url} is already taken by another space. Choose another hostname, or push with --random-route to get a free one.";
        return inner is null ? new CliException(message) : new CliException(message, inner);
    }
}
