namespace Ravioli.Cli.Tests.Support;

/// <summary>
/// Asks the server for one resource per page on every list request rav makes, so a handful of
/// resources is enough to prove rav follows <c>pagination.next</c> to the end.
/// </summary>
internal sealed class SmallPagesHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    public int ListRequests { get; private set; }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        var isList = request.Method == HttpMethod.Get && uri.Segments is ["/", "v3/", _];
        if (isList)
        {
            ListRequests++;
            if (!uri.Query.Contains("per_page=", StringComparison.Ordinal))
            {
                var separator = uri.Query.Length == 0 ? "?" : "&";
                request.RequestUri = new Uri($"{uri}{separator}per_page=1");
            }
        }

        return base.SendAsync(request, cancellationToken);
    }
}
