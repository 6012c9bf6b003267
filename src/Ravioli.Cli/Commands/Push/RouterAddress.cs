using System.Globalization;
using System.Text.Json;

namespace Ravioli.Cli.Commands.Push;

/// <summary>
/// Where apps are reached: routes are names on the platform's router, which listens on its own port.
/// <c>RAV_ROUTER_URL</c> wins, then what the API's <c>GET /</c> advertises (<c>ravioli.router_url</c>, or
/// <c>ravioli.router_port</c> on the API's own scheme), else the router's default port 8081.
/// </summary>
internal sealed class RouterAddress(string scheme, int port)
{
    public const int DefaultPort = 8081;

    public static async Task<RouterAddress> ResolveAsync(CliSession session, CancellationToken cancellationToken)
    {
        if (FromUrl(session.Env.GetVariable("RAV_ROUTER_URL")) is { } configured)
        {
            return configured;
        }

        try
        {
            var root = await session.Api.GetRootAsync(session.Config.ApiUrl ?? CliSession.DefaultApiUrl, cancellationToken);
            if (root.TryGetProperty("ravioli", out var ravioli) && ravioli.ValueKind == JsonValueKind.Object)
            {
                if (ravioli.TryGetProperty("router_url", out var url)
                    && url.ValueKind == JsonValueKind.String
                    && FromUrl(url.GetString()) is { } advertised)
                {
                    return advertised;
                }

                if (ravioli.TryGetProperty("router_port", out var port)
                    && port.ValueKind == JsonValueKind.Number
                    && port.TryGetInt32(out var number)
                    && number is > 0 and <= 65535)
                {
                    return new RouterAddress("http", number);
                }
            }
        }
        catch (CliException)
        {
            // Only the printed URL depends on it; the default is right for a local platform.
        }

        return new RouterAddress("http", DefaultPort);
    }

    public static RouterAddress? FromUrl(string? url)
        => Uri.TryCreate(url?.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? new RouterAddress(uri.Scheme, uri.Port)
            : null;

    /// <summary>The URL of a route ("web.apps.localhost/api") on the router: http://web.apps.localhost:8081/api.</summary>
    public string UrlOf(string route)
    {
        var slash = route.IndexOf('/', StringComparison.Ordinal);
        var host = slash < 0 ? route : route[..slash];
        var path = slash < 0 ? "/" : route[slash..];
        var defaultPort = (scheme == Uri.UriSchemeHttps && port == 443) || (scheme == Uri.UriSchemeHttp && port == 80);
        return defaultPort ? $"{scheme}://{host}{path}" : $"{scheme}://{host}:{port.ToString(CultureInfo.InvariantCulture)}{path}";
    }
}
