using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ravioli.Services.Osb;

/// <summary>How far a request got when no complete response came back.</summary>
internal enum OsbTransportFailure
{
    /// <summary>A response status arrived.</summary>
    None,

    /// <summary>The connection was never made (refused, no such host, TLS failed): the broker cannot have acted.</summary>
    NotSent,

    /// <summary>No status within the request timeout: the broker may have acted.</summary>
    Timeout,

    /// <summary>The connection broke after the request went out: the broker may have acted.</summary>
    ConnectionLost,

    /// <summary>Something answered, but not with HTTP: the broker may have acted.</summary>
    InvalidResponse,
}

/// <summary>What happened to the response body after the status arrived.</summary>
internal enum OsbBodyProblem
{
    None,
    TooLarge,
    CutOff,
    TimedOut,
}

/// <summary>One request and what came back, before any OSB interpretation.</summary>
internal sealed record OsbExchange(string RequestIdentity, string Method, string Path)
{
    public OsbTransportFailure Failure { get; init; }
    public string? FailureDetail { get; init; }
    public int? Status { get; init; }
    public byte[] Body { get; init; } = [];
    public OsbBodyProblem BodyProblem { get; init; }
    public TimeSpan? RetryAfter { get; init; }
    public Uri? Location { get; init; }
}

/// <summary>
/// Sends OSB requests: URL building, the headers every call carries, the per-request timeout (body included) and a bounded
/// body read. It never throws for what a broker does; only for the caller's own cancellation.
/// </summary>
internal sealed class OsbTransport(HttpClient http, OsbClientOptions options, TimeProvider time)
{
    public const string ApiVersion = "2.17";
    public const string OriginatingIdentityPlatform = "cloudfoundry";

    public OsbClientOptions Options => options;

    /// <summary>The timeout a request really gets: ours, or the HttpClient's own when that is shorter.</summary>
    public TimeSpan EffectiveTimeout =>
        http.Timeout != Timeout.InfiniteTimeSpan && http.Timeout < options.RequestTimeout ? http.Timeout : options.RequestTimeout;

    public async Task<OsbExchange> SendAsync(
        BrokerEndpoint broker,
        HttpMethod method,
        string path,
        IReadOnlyList<KeyValuePair<string, string>> query,
        JsonObject? body,
        string? userGuid,
        CancellationToken cancellationToken)
    {
        var exchange = new OsbExchange(Guid.NewGuid().ToString("D"), method.Method, path);
        using var request = new HttpRequestMessage(method, BuildUri(broker.Url, path, query));
        request.Headers.Add("X-Broker-API-Version", ApiVersion);
        request.Headers.Add("X-Broker-API-Request-Identity", exchange.RequestIdentity);
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{broker.Username}:{broker.Password}")));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (userGuid is not null)
        {
            request.Headers.Add("X-Broker-API-Originating-Identity", OriginatingIdentity(userGuid));
        }
        if (body is not null)
        {
            request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Ours or the HttpClient's own timeout; either way no status came back in time.
            return exchange with { Failure = OsbTransportFailure.Timeout };
        }
        catch (HttpRequestException e)
        {
            return exchange with { Failure = Classify(e), FailureDetail = Detail(e) };
        }

        using (response)
        {
            exchange = exchange with
            {
                Status = (int)response.StatusCode,
                RetryAfter = ReadRetryAfter(response.Headers.RetryAfter),
                Location = response.Headers.Location,
            };
            try
            {
                var (bytes, problem) = await ReadBodyAsync(response.Content, options.MaxResponseBytes, timeout.Token);
                return exchange with { Body = bytes, BodyProblem = problem };
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return exchange with { BodyProblem = OsbBodyProblem.TimedOut };
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                return exchange with { BodyProblem = OsbBodyProblem.CutOff, FailureDetail = Detail(e) };
            }
        }
    }

    public static string OriginatingIdentity(string userGuid)
    {
        var value = new JsonObject { ["user_id"] = userGuid };
        return OriginatingIdentityPlatform + " " + Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(value));
    }

    public static Uri BuildUri(Uri baseUrl, string path, IReadOnlyList<KeyValuePair<string, string>> query)
    {
        var root = baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
        var builder = new StringBuilder(root).Append(path);
        for (var i = 0; i < query.Count; i++)
        {
            builder.Append(i == 0 ? '?' : '&')
                .Append(Uri.EscapeDataString(query[i].Key))
                .Append('=')
                .Append(Uri.EscapeDataString(query[i].Value));
        }
        return new Uri(builder.ToString());
    }

    private TimeSpan? ReadRetryAfter(RetryConditionHeaderValue? header)
    {
        if (header?.Delta is { } delta)
        {
            return delta;
        }
        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    private static async Task<(byte[] Body, OsbBodyProblem Problem)> ReadBodyAsync(
        HttpContent content, long limit, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is long declared && declared > limit)
        {
            return ([], OsbBodyProblem.TooLarge);
        }
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var read = await stream.ReadAsync(chunk, cancellationToken);
            if (read == 0)
            {
                return (buffer.ToArray(), OsbBodyProblem.None);
            }
            if (buffer.Length + read > limit)
            {
                return ([], OsbBodyProblem.TooLarge);
            }
            buffer.Write(chunk, 0, read);
        }
    }

    private static OsbTransportFailure Classify(HttpRequestException e)
    {
        // Only a failure to connect proves the broker never saw the request; anything later may have reached it.
        if (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
            or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError)
        {
            return OsbTransportFailure.NotSent;
        }
        if (e.HttpRequestError is HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError)
        {
            return OsbTransportFailure.InvalidResponse;
        }
        return e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.NetworkUnreachable or SocketError.HostUnreachable }
            ? OsbTransportFailure.NotSent
            : OsbTransportFailure.ConnectionLost;
    }

    private static string Detail(Exception e)
    {
        var innermost = e;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }
        var text = innermost is SocketException socket ? SocketText(socket) : innermost.Message;
        return text.TrimEnd('.');
    }

    private static string SocketText(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.ConnectionReset => "connection reset by the broker",
        SocketError.HostNotFound or SocketError.NoData => "host not found",
        SocketError.TimedOut => "connection timed out",
        SocketError.NetworkUnreachable or SocketError.HostUnreachable => "no route to the broker's host",
        _ => e.Message,
    };

}
