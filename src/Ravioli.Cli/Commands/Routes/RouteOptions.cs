using System.CommandLine;

namespace Ravioli.Cli.Commands.Routes;

/// <summary>The <c>--hostname</c> and <c>--path</c> flags that, with a domain, name a route (as in cf).</summary>
internal sealed class RouteOptions
{
    private readonly Option<string?> _hostname = new("--hostname", "-n") { Description = "Hostname for the route (the part before the domain)" };
    private readonly Option<string?> _path = new("--path") { Description = "Path for the route, e.g. /api" };

    public void AddTo(Command command)
    {
        command.Options.Add(_hostname);
        command.Options.Add(_path);
    }

    public (string Host, string Path) Read(ParseResult parseResult)
        => (NormalizeHost(parseResult.GetValue(_hostname)), NormalizePath(parseResult.GetValue(_path)));

    /// <summary>Hosts are DNS labels and the API stores them lower-cased; match it so lookups find them.</summary>
    public static string NormalizeHost(string? host) => (host ?? string.Empty).Trim().ToLowerInvariant();

    /// <summary>"api", "/api" and "/api/" all mean the route path "/api"; "/" means no path.</summary>
    public static string NormalizePath(string? path)
    {
        var value = (path ?? string.Empty).Trim().TrimEnd('/');
        return value.Length == 0 || value.StartsWith('/') ? value : "/" + value;
    }
}
