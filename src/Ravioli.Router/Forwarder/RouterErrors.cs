using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Ravioli.Router.Forwarder;

/// <summary>
/// Answers the router gives itself. Plain text, not problem+json: they reach browsers and curl users of every app,
/// like gorouter's, and say what to do next. nosniff keeps a browser from reading a host name as markup.
/// </summary>
internal static class RouterErrors
{
    public const string UnknownRoute = "unknown_route";
    public const string NoEndpoints = "no_endpoints";
    public const string EndpointFailure = "endpoint_failure";
    public const string Timeout = "timeout";
    public const string RequestTooLarge = "request_too_large";
    public const string BadRequest = "bad_request";
    public const string ClientGone = "client_disconnected";
    public const string ResponseAborted = "endpoint_response_aborted";
    public const string Internal = "router_internal_error";

    public static string UnknownHost(string host) =>
        $"No app is mapped to host '{host}'. Map a route with 'rav map-route'.";

    public static string NoInstances(string appName, string host, string path) =>
        $"App '{appName}' has no running instances for {host}{path}. Start or scale it ('rav start {appName}', 'rav scale {appName} -i 2') and see 'rav app {appName}'.";

    public static string Unreachable(string appName, int attempts) =>
        $"App '{appName}' could not be reached: {attempts} instance(s) refused or dropped the connection. See 'rav logs {appName}' for crashes.";

    public static string NoResponse(string appName, TimeSpan timeout) =>
        $"App '{appName}' did not respond within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} seconds. See 'rav logs {appName}'.";

    public static string TooLarge(long limit) =>
        $"The request body is larger than the router's limit of {limit.ToString(CultureInfo.InvariantCulture)} bytes.";

    public const string NoTunnels = "The router does not tunnel CONNECT requests; only WebSockets are passed through.";

    public const string Unreadable = "The request body could not be read; it was malformed or cut short.";

    public const string Unexpected = "The router hit an unexpected error. Retry the request; the operator finds details in the node's log.";

    public static string BrokeOff(string appName) =>
        $"App '{appName}' broke off its response. See 'rav logs {appName}'.";

    /// <summary>Answers the request with <paramref name="status"/> and <paramref name="message"/>, or cuts the connection when the response has begun.</summary>
    public static async Task WriteAsync(Exchange x, int status, string routerError, string message)
    {
        x.Error = routerError;
        var context = x.Context;
        var response = context.Response;
        if (response.HasStarted)
        {
            // Too late for a status: cutting the connection is the only way left to tell the client it is incomplete.
            context.Abort();
            return;
        }
        response.Clear();
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        var headers = response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-store";
        headers[HeaderRules.RouterError] = routerError;
        headers[HeaderRules.RequestId] = x.RequestId;
        var body = Encoding.UTF8.GetBytes(message + "\n");
        response.ContentLength = body.Length;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }
        try
        {
            await response.Body.WriteAsync(body, context.RequestAborted);
            x.ResponseBytes = body.Length;
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left; nobody to tell.
        }
        catch (IOException)
        {
            // Same, noticed by the transport first.
        }
    }
}
