namespace Ravioli.Cli.Commands.Session;

/// <summary>Cleans up API URLs as typed: "127.0.0.1:8080/" becomes "http://127.0.0.1:8080".</summary>
internal static class ApiUrls
{
    public static string Normalize(string text)
    {
        var url = text.Trim().TrimEnd('/');
        if (!url.Contains("://", StringComparison.Ordinal))
        {
            // A local platform (what './ravioli up' starts) speaks plain HTTP; anything else should be HTTPS.
            var host = url.Split(':', '/')[0];
            var local = host is "localhost" or "127.0.0.1" or "[::1]" || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
            url = (local ? "http://" : "https://") + url;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliException($"'{text}' is not a valid API URL. Use a URL such as {CliSession.DefaultApiUrl}.");
        }

        return url;
    }
}
