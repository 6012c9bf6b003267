using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ravioli.Cli.Http;

/// <summary>
/// Talks to the Ravioli API: adds the bearer token, refreshes it before it expires (and once more on a 401),
/// follows pagination, and turns error answers and network failures into messages a user can act on.
/// </summary>
internal sealed class ApiClient : IDisposable
{
    public const string SessionExpiredMessage = "Your session has expired. Run 'rav login' again.";

    // Refresh a little before expiry so a token does not run out between the check and the server reading it.
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromSeconds(30);

    // Per request rather than HttpClient.Timeout, which would also cut off log streams and big uploads.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(100);

    private readonly CliSession _session;
    private readonly HttpClient _http;

    public ApiClient(CliSession session)
    {
        _session = session;
        _http = session.Env.Handler is { } handler
            ? new HttpClient(handler, disposeHandler: false)
            : new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15) }, disposeHandler: true);
        _http.Timeout = Timeout.InfiniteTimeSpan;
    }

    public void Dispose() => _http.Dispose();

    public async Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken)
        => await SendJsonAsync(HttpMethod.Get, path, null, cancellationToken)
            ?? throw new CliException($"The API answered GET {path} with an empty body.");

    public async Task<JsonElement> PostAsync(string path, JsonNode body, CancellationToken cancellationToken)
        => await SendJsonAsync(HttpMethod.Post, path, body, cancellationToken)
            ?? throw new CliException($"The API answered POST {path} with an empty body.");

    public async Task<JsonElement> PatchAsync(string path, JsonNode body, CancellationToken cancellationToken)
        => await SendJsonAsync(HttpMethod.Patch, path, body, cancellationToken)
            ?? throw new CliException($"The API answered PATCH {path} with an empty body.");

    /// <summary>Sends a DELETE; the answer's body when it has one (a <c>202</c> with the resource being deleted), else null.</summary>
    public Task<JsonElement?> DeleteAsync(string path, CancellationToken cancellationToken)
        => SendJsonAsync(HttpMethod.Delete, path, null, cancellationToken);

    /// <summary>
    /// Sends a GET and returns as soon as the headers arrive, for answers that stream (build and app logs):
    /// the caller reads the body as it comes and disposes the response. Error answers are thrown as usual.
    /// </summary>
    public async Task<HttpResponseMessage> OpenStreamAsync(string path, CancellationToken cancellationToken)
    {
        var apiUrl = RequireApiUrl();
        var response = await SendAuthorizedAsync(
            () => new HttpRequestMessage(HttpMethod.Get, Resolve(apiUrl, path)),
            cancellationToken,
            HttpCompletionOption.ResponseHeadersRead,
            RequestTimeout);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            throw ApiException.From(response.StatusCode, text, response.Headers);
        }
    }

    /// <summary>
    /// POSTs a file as the request body, streamed from disk (apps can be big), reporting the bytes sent so
    /// far to <paramref name="progress"/>. There is no overall timeout: a big upload on a slow link takes as
    /// long as it takes, and Ctrl+C still stops it.
    /// </summary>
    public async Task<JsonElement> UploadAsync(string path, string file, string contentType, Action<long>? progress, CancellationToken cancellationToken)
    {
        var apiUrl = RequireApiUrl();
        var length = new FileInfo(file).Length;
        using var response = await SendAuthorizedAsync(
            () =>
            {
                // A new stream per attempt: a retry after a 401 must send the whole file again.
                var content = new StreamContent(new ProgressStream(File.OpenRead(file), progress), 81920);
                content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
                content.Headers.ContentLength = length;
                var request = new HttpRequestMessage(HttpMethod.Post, Resolve(apiUrl, path)) { Content = content };
                // The server refuses oversized or unauthorized uploads before reading them; with 100-continue the
                // body is not sent until it says so, and its refusal arrives instead of a broken pipe.
                request.Headers.ExpectContinue = true;
                return request;
            },
            cancellationToken,
            HttpCompletionOption.ResponseContentRead,
            Timeout.InfiniteTimeSpan);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw ApiException.From(response.StatusCode, text, response.Headers);
        }

        return Json.TryParse(text)
            ?? throw new CliException($"The API at {apiUrl} answered POST {path} with something that is not JSON. Check the API URL with 'rav target'.");
    }

    /// <summary>Every resource of a list, across all pages, with the <c>included</c> resources of all pages merged.</summary>
    public async Task<ResourceList> ListAsync(string path, CancellationToken cancellationToken)
    {
        var resources = new List<JsonElement>();
        var included = new Dictionary<string, List<JsonElement>>(StringComparer.Ordinal);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        string? next = path;
        while (next is not null && visited.Add(next))
        {
            var page = await GetAsync(next, cancellationToken);
            if (page.ValueKind != JsonValueKind.Object)
            {
                throw new CliException($"The API answered GET {next} with something that is not a list.");
            }

            if (page.TryGetProperty("resources", out var items) && items.ValueKind == JsonValueKind.Array)
            {
                resources.AddRange(items.EnumerateArray());
            }

            if (page.TryGetProperty("included", out var extra) && extra.ValueKind == JsonValueKind.Object)
            {
                foreach (var kind in extra.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Array))
                {
                    if (!included.TryGetValue(kind.Name, out var list))
                    {
                        included[kind.Name] = list = [];
                    }

                    list.AddRange(kind.Value.EnumerateArray());
                }
            }

            next = NextPage(page);
        }

        return new ResourceList(resources, included);
    }

    /// <summary>Sends a request as given and returns the answer whatever its status, for <c>rav curl</c>.</summary>
    public async Task<RawResponse> SendRawAsync(
        HttpMethod method,
        string path,
        string? body,
        IReadOnlyList<KeyValuePair<string, string>> headers,
        CancellationToken cancellationToken)
    {
        HttpRequestMessage Build()
        {
            var request = new HttpRequestMessage(method, Resolve(RequireApiUrl(), path));
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            }

            foreach (var (name, value) in headers)
            {
                if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                {
                    request.Content ??= new ByteArrayContent([]);
                    request.Content.Headers.Remove(name);
                    request.Content.Headers.TryAddWithoutValidation(name, value);
                }
                else
                {
                    request.Headers.Remove(name);
                    request.Headers.TryAddWithoutValidation(name, value);
                }
            }

            return request;
        }

        var explicitAuthorization = headers.Any(h => h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase));
        using var response = explicitAuthorization || !_session.Config.HasSession()
            ? await SendOnceAsync(RequireApiUrl(), Build, cancellationToken)
            : await SendAuthorizedAsync(Build, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return new RawResponse(response.StatusCode, text);
    }

    /// <summary>Reads <c>GET /</c>, which needs no token; used to check an API URL and to show its version.</summary>
    public async Task<JsonElement> GetRootAsync(string apiUrl, CancellationToken cancellationToken)
    {
        using var response = await SendOnceAsync(apiUrl, () => new HttpRequestMessage(HttpMethod.Get, Resolve(apiUrl, "/")), cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw ApiException.From(response.StatusCode, text, response.Headers);
        }

        return Json.TryParse(text) is { ValueKind: JsonValueKind.Object } root
            ? root
            : throw new CliException($"{apiUrl} answered, but not like a Ravioli API. Check the URL.");
    }

    public Task<TokenResponse> PasswordGrantAsync(string apiUrl, string username, string password, CancellationToken cancellationToken)
        => RequestTokenAsync(
            apiUrl,
            [
                new("grant_type", "password"),
                new("username", username),
                new("password", password),
            ],
            cancellationToken);

    /// <summary>Revokes a refresh token (RFC 7009: the server answers 200 even for unknown tokens).</summary>
    public async Task RevokeAsync(string apiUrl, string refreshToken, CancellationToken cancellationToken)
    {
        using var response = await SendOnceAsync(
            apiUrl,
            () => new HttpRequestMessage(HttpMethod.Post, Resolve(apiUrl, "/oauth/revoke"))
            {
                Content = new FormUrlEncodedContent([new("token", refreshToken)]),
            },
            cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            throw ApiException.From(response.StatusCode, text, response.Headers);
        }
    }

    private async Task<JsonElement?> SendJsonAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        var apiUrl = RequireApiUrl();
        var payload = body?.ToJsonString(Json.Options);
        using var response = await SendAuthorizedAsync(
            () => new HttpRequestMessage(method, Resolve(apiUrl, path))
            {
                Content = payload is null ? null : new StringContent(payload, Encoding.UTF8, "application/json"),
            },
            cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw ApiException.From(response.StatusCode, text, response.Headers);
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return Json.TryParse(text)
            ?? throw new CliException($"The API at {apiUrl} answered {method} {path} with something that is not JSON. Check the API URL with 'rav target'.");
    }

    private async Task<HttpResponseMessage> SendAuthorizedAsync(
        Func<HttpRequestMessage> build,
        CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead,
        TimeSpan? timeout = null)
    {
        var apiUrl = RequireApiUrl();
        if (!_session.Config.HasSession())
        {
            throw new CliException(CliSession.NotLoggedInMessage);
        }

        var refreshed = false;
        if (_session.Config.AccessToken is not { } token || Jwt.ExpiresWithin(token, RefreshMargin, DateTimeOffset.UtcNow))
        {
            await RefreshAsync(cancellationToken);
            refreshed = true;
        }

        HttpRequestMessage BuildWithToken()
        {
            var request = build();
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _session.Config.AccessToken);
            return request;
        }

        var response = await SendOnceAsync(apiUrl, BuildWithToken, cancellationToken, completion, timeout);

        // A token can be rejected before its expiry (the server restarted with a new key, the clock is
        // off); one refresh and one retry recover from that. More would only hide a real problem.
        if (response.StatusCode != HttpStatusCode.Unauthorized || refreshed)
        {
            return response;
        }

        response.Dispose();
        await RefreshAsync(cancellationToken);
        return await SendOnceAsync(apiUrl, BuildWithToken, cancellationToken, completion, timeout);
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var config = _session.Config;
        if (config.RefreshToken is null || config.ApiUrl is null)
        {
            throw new CliException(SessionExpiredMessage);
        }

        TokenResponse tokens;
        try
        {
            tokens = await RequestTokenAsync(
                config.ApiUrl,
                [
                    new("grant_type", "refresh_token"),
                    new("refresh_token", config.RefreshToken),
                ],
                cancellationToken);
        }
        catch (ApiException e) when (e.Status is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            // Refresh tokens are single-use, so two rav processes refreshing at once (a script running
            // commands in parallel) race, and the loser's token is already spent. The winner saved a
            // fresh pair to the same config; use that instead of logging the user out.
            var onDisk = await _session.ReloadAsync(cancellationToken);
            if (onDisk.RefreshToken is not null && onDisk.RefreshToken != config.RefreshToken && onDisk.ApiUrl == config.ApiUrl)
            {
                return;
            }

            throw new CliException(SessionExpiredMessage, e);
        }

        // The server revoked the old refresh token the moment it answered, so the new pair must reach
        // the disk even if the user presses Ctrl+C right now; otherwise they would be logged out.
        await _session.SaveAsync(
            config with { AccessToken = tokens.AccessToken, RefreshToken = tokens.RefreshToken ?? config.RefreshToken },
            CancellationToken.None);
    }

    private async Task<TokenResponse> RequestTokenAsync(
        string apiUrl,
        IEnumerable<KeyValuePair<string, string>> form,
        CancellationToken cancellationToken)
    {
        var fields = form.ToList();
        using var response = await SendOnceAsync(
            apiUrl,
            () => new HttpRequestMessage(HttpMethod.Post, Resolve(apiUrl, "/oauth/token")) { Content = new FormUrlEncodedContent(fields) },
            cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw ApiException.From(response.StatusCode, text, response.Headers);
        }

        var json = Json.TryParse(text) ?? throw new CliException($"{apiUrl} answered the token request with something that is not JSON. Check the API URL.");
        var tokens = Json.As<TokenResponse>(json);
        return string.IsNullOrEmpty(tokens.AccessToken)
            ? throw new CliException($"{apiUrl} answered the token request without an access token.")
            : tokens;
    }

    private async Task<HttpResponseMessage> SendOnceAsync(
        string apiUrl,
        Func<HttpRequestMessage> build,
        CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead,
        TimeSpan? timeout = null)
    {
        using var request = build();
        var limit = timeout ?? RequestTimeout;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(limit);
        try
        {
            return await _http.SendAsync(request, completion, timer.Token);
        }
        catch (HttpRequestException e)
        {
            var reason = (e.InnerException?.Message ?? e.Message).TrimEnd('.');
            throw new CliException($"Cannot reach the API at {apiUrl}: {reason}. Is the platform running? Start it with './ravioli up'.", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            var seconds = limit.TotalSeconds.ToString(CultureInfo.InvariantCulture);
            throw new CliException($"The API at {apiUrl} did not answer within {seconds} seconds. Is the platform running? Start it with './ravioli up'.", e);
        }
    }

    private string RequireApiUrl() => _session.Config.ApiUrl ?? throw new CliException(CliSession.NotLoggedInMessage);

    /// <summary>
    /// Turns a path, or a link the server handed out, into a URL on the configured API. Links are
    /// re-based onto the API URL so the bearer token never goes to a host the user did not log in to
    /// (and so lists work behind proxies that rewrite the host).
    /// </summary>
    internal static Uri Resolve(string apiUrl, string pathOrUrl)
    {
        var baseUri = new Uri(apiUrl.TrimEnd('/') + "/", UriKind.Absolute);
        if (pathOrUrl.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || pathOrUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var link = new Uri(pathOrUrl, UriKind.Absolute);
            if (Uri.Compare(link, baseUri, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0)
            {
                return link;
            }

            pathOrUrl = link.PathAndQuery;
        }

        return new Uri(baseUri, pathOrUrl.TrimStart('/'));
    }

    private static string? NextPage(JsonElement page)
        => page.TryGetProperty("pagination", out var pagination)
            && pagination.ValueKind == JsonValueKind.Object
            && pagination.TryGetProperty("next", out var next)
            && next.ValueKind == JsonValueKind.Object
            && next.TryGetProperty("href", out var href)
            && href.ValueKind == JsonValueKind.String
                ? href.GetString()
                : null;
}

/// <summary>All resources of a list, plus what <c>include=</c> brought along, keyed by kind (e.g. <c>users</c>).</summary>
internal sealed record ResourceList(IReadOnlyList<JsonElement> Resources, IReadOnlyDictionary<string, List<JsonElement>> Included)
{
    public IReadOnlyList<JsonElement> IncludedOf(string kind)
        => Included.TryGetValue(kind, out var items) ? items : [];
}

/// <summary>An answer as it came, for <c>rav curl</c>.</summary>
internal sealed record RawResponse(HttpStatusCode Status, string Body);

/// <summary>The answer of <c>POST /oauth/token</c>.</summary>
internal sealed record TokenResponse(
    string AccessToken,
    string? TokenType,
    long? ExpiresIn,
    string? RefreshToken,
    string? Scope,
    string? Jti);
