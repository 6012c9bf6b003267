using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Ravioli.Cli.Tests.Support;

/// <summary>
/// Answers chosen API endpoints itself and passes everything else to the real server: a stand-in for
/// endpoints the platform does not serve yet (and a way to stage situations, such as a crash, on demand).
/// </summary>
internal sealed class FakeEndpoints() : DelegatingHandler(new SocketsHttpHandler())
{
    private readonly List<(HttpMethod Method, Regex Path, Func<HttpRequestMessage, Match, Task<HttpResponseMessage>> Answer)> _routes = [];

    /// <summary>"METHOD /path?query" of every request rav sent, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public FakeEndpoints On(HttpMethod method, string pathRegex, Func<HttpRequestMessage, Match, Task<HttpResponseMessage>> answer)
    {
        _routes.Add((method, new Regex($"^{pathRegex}$"), answer));
        return this;
    }

    public FakeEndpoints On(HttpMethod method, string pathRegex, Func<HttpRequestMessage, Match, HttpResponseMessage> answer)
        => On(method, pathRegex, (request, match) => Task.FromResult(answer(request, match)));

    public static HttpResponseMessage Json(HttpStatusCode status, string json)
        => new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    public static HttpResponseMessage Text(string text, string mediaType = "text/plain")
        => new(HttpStatusCode.OK) { Content = new StringContent(text, Encoding.UTF8, mediaType) };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        Requests.Enqueue($"{request.Method} {uri.PathAndQuery}");
        foreach (var (method, path, answer) in _routes)
        {
            if (method == request.Method && path.Match(uri.AbsolutePath) is { Success: true } match)
            {
                return await answer(request, match);
            }
        }

        return await base.SendAsync(request, cancellationToken);
    }
}
