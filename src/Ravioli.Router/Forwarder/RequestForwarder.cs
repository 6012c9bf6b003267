using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ravioli.Router.AccessLog;
using Ravioli.Router.Configuration;
using Ravioli.Router.LoadBalancing;
using Ravioli.Router.Metrics;
using Ravioli.Router.Routing;

namespace Ravioli.Router.Forwarder;

/// <summary>The terminal request handler: routes each request to a backend and streams it there and back.</summary>
internal sealed class RequestForwarder(
    RouteTableStore routes,
    BackendClient client,
    RouterMetrics metrics,
    IOptions<RouterOptions> options,
    TimeProvider time,
    ILogger<RequestForwarder> logger,
    IAccessLog? accessLog = null)
{
    private readonly RouterOptions _options = options.Value;
    private readonly HttpMessageInvoker _invoker = client.Invoker;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var host = request.Headers.Host.ToString();
        var x = new Exchange(context, Stopwatch.GetTimestamp(), time.GetUtcNow(), host)
        {
            Route = routes.Compiled.Match(HostName.WithoutPort(host), request.Path.Value),
            RequestId = HeaderRules.RequestIdFor(request.Headers[HeaderRules.RequestId]),
        };
        try
        {
            var route = x.Route;
            if (route is null)
            {
                await RouterErrors.WriteAsync(x, StatusCodes.Status404NotFound, RouterErrors.UnknownRoute, RouterErrors.UnknownHost(HostName.WithoutPort(host).ToString()));
            }
            else if (route.Backends.Length == 0)
            {
                await RouterErrors.WriteAsync(x, StatusCodes.Status503ServiceUnavailable, RouterErrors.NoEndpoints, RouterErrors.NoInstances(route.App.Name, route.Host, route.Path));
            }
            else if (HttpMethods.IsConnect(request.Method) && context.Features.Get<IHttpExtendedConnectFeature>() is not { IsExtendedConnect: true })
            {
                await RouterErrors.WriteAsync(x, StatusCodes.Status405MethodNotAllowed, RouterErrors.BadRequest, RouterErrors.NoTunnels);
            }
            else if (request.ContentLength > _options.MaxRequestBodySize)
            {
                await RouterErrors.WriteAsync(x, StatusCodes.Status413PayloadTooLarge, RouterErrors.RequestTooLarge, RouterErrors.TooLarge(_options.MaxRequestBodySize));
            }
            else
            {
                await ForwardAsync(x, route);
            }
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            x.ClientLeft();
        }
        catch (Exception e)
        {
            Log.Unexpected(logger, request.Method, host, request.Path.Value ?? "", e);
            await RouterErrors.WriteAsync(x, StatusCodes.Status500InternalServerError, RouterErrors.Internal, RouterErrors.Unexpected);
        }
        finally
        {
            Complete(x);
        }
    }

    // Pooled state machines: ForwardAsync and RespondAsync wait on the backend every request, and each would
    // otherwise allocate its own box on top of the request's other objects.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ForwardAsync(Exchange x, RouteEntry route)
    {
        var context = x.Context;
        var request = context.Request;
        var features = context.Features;
        var tunnel = TunnelKind.None;
        var upgradable = features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true };
        if (upgradable && HeaderRules.IsWebSocketUpgrade(request.Headers.Upgrade))
        {
            tunnel = TunnelKind.WebSocket;
        }
        else if (features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
        {
            if (!string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase))
            {
                await RouterErrors.WriteAsync(x, StatusCodes.Status405MethodNotAllowed, RouterErrors.BadRequest, RouterErrors.NoTunnels);
                return;
            }
            tunnel = TunnelKind.Http2WebSocket;
        }
        if (features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
        {
            // Kestrel's own default (30 MB) would cut uploads the router allows; the limit also makes chunked bodies
            // fail when they pass it. A WebSocket's bytes are no upload and have no limit.
            sizeLimit.MaxRequestBodySize = tunnel == TunnelKind.None ? _options.MaxRequestBodySize : null;
        }
        // Kestrel hands an upgradable request's body over as the upgraded connection, so such a request has none to forward.
        var hasBody = !upgradable && tunnel == TunnelKind.None && features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: true };
        // An HTTP/2 WebSocket's CONNECT becomes a GET to the app, which is as safe to send again as any upgrade.
        var idempotent = tunnel == TunnelKind.Http2WebSocket || HeaderRules.IsIdempotent(request.Method);
        // RFC 8441: an HTTP/2 WebSocket is a CONNECT; the app behind speaks HTTP/1.1 and expects RFC 6455's GET.
        var method = tunnel == TunnelKind.Http2WebSocket ? HttpMethod.Get : HttpMethod.Parse(request.Method);
        var target = BackendRequest.Target(context);
        var forwarded = BackendRequest.Forwarded(x, _options.TrustForwardedHeaders);

        var cancellation = RequestCancellation.Rent(_options.RequestTimeout, context.RequestAborted);
        HttpRequestMessage? message = null;
        HttpResponseMessage? response = null;
        StreamingRequestContent? content = null;
        BackendEndpoint? entered = null;
        BackendEndpoint?[]? tried = null;
        var attempts = 0;
        var turn = route.NextTurn();
        try
        {
            while (true)
            {
                var backend = BackendPicker.Pick(_options.Balancing, route, turn, tried.AsSpan(0, attempts))
                    ?? throw new InvalidOperationException("The route ran out of backends to try although the retry loop checks their count.");
                attempts++;
                x.Backend = backend;
                backend.Load.Enter();
                entered = backend;
                content = hasBody ? new StreamingRequestContent(request.BodyReader, cancellation) : null;
                if (!Uri.TryCreate(backend.BaseUri + target, UriKind.Absolute, out var uri))
                {
                    await RouterErrors.WriteAsync(x, StatusCodes.Status400BadRequest, RouterErrors.BadRequest, "The request target is not a valid URI path.");
                    return;
                }
                message = BackendRequest.Create(method, uri, request.Headers, content, tunnel, forwarded, x.RequestId);
                try
                {
                    response = await _invoker.SendAsync(message, cancellation.Token);
                    x.RequestBytes = content?.BytesSent ?? 0;
                    backend.Load.Recovered();
                    break;
                }
                catch (Exception e)
                {
                    x.RequestBytes = content?.BytesSent ?? 0;
                    message.Dispose();
                    backend.Load.Leave();
                    entered = null;
                    // The client's own body failing (cut off, malformed chunks, over the limit) says nothing about the backend.
                    var failure = content?.ClientError is not null ? AttemptFailure.Other : Classify(e, cancellation);
                    if (failure != AttemptFailure.Other && _options.EjectionTime > TimeSpan.Zero)
                    {
                        backend.Load.Eject(_options.EjectionTime);
                    }
                    if (attempts <= _options.MaxRetries && attempts < route.Backends.Length && CanRetry(failure, idempotent, content))
                    {
                        Log.AttemptFailedRetrying(logger, backend.Address, backend.App.Name, backend.Index, failure, e);
                        tried ??= new BackendEndpoint?[_options.MaxRetries + 1];
                        tried[attempts - 1] = backend;
                        continue;
                    }
                    await SendFailedAsync(x, backend, content, cancellation, attempts, e);
                    return;
                }
            }
            await RespondAsync(x, response, cancellation, tunnel);
        }
        finally
        {
            response?.Dispose();
            message?.Dispose();
            if (content is { Started: true, Completion.IsCompleted: false })
            {
                // An early answer from the app can leave the body copy running; it must stop before the request ends.
                cancellation.Finish();
                try
                {
                    await content.Completion;
                }
                catch (Exception)
                {
                    // Its failure was already accounted for, or no longer matters.
                }
            }
            entered?.Load.Leave();
            cancellation.Return();
        }
    }

    private async Task SendFailedAsync(Exchange x, BackendEndpoint backend, StreamingRequestContent? content, RequestCancellation cancellation, int attempts, Exception error)
    {
        var context = x.Context;
        var request = context.Request;
        if (context.RequestAborted.IsCancellationRequested)
        {
            x.ClientLeft();
        }
        else if (content?.ClientError is BadHttpRequestException bad)
        {
            var tooLarge = bad.StatusCode == StatusCodes.Status413PayloadTooLarge;
            await RouterErrors.WriteAsync(x, bad.StatusCode, tooLarge ? RouterErrors.RequestTooLarge : RouterErrors.BadRequest, tooLarge ? RouterErrors.TooLarge(_options.MaxRequestBodySize) : RouterErrors.Unreadable);
        }
        else if (content?.ClientError is not null)
        {
            // The client broke off its upload; whatever we answer, it is likely not listening.
            x.ClientLeft();
            context.Abort();
        }
        else if (cancellation.TimedOut)
        {
            Log.TimedOut(logger, backend.App.Name, backend.Address, request.Method, request.Path.Value ?? "", _options.RequestTimeout);
            await RouterErrors.WriteAsync(x, StatusCodes.Status504GatewayTimeout, RouterErrors.Timeout, RouterErrors.NoResponse(backend.App.Name, _options.RequestTimeout));
        }
        else
        {
            Log.Unreachable(logger, backend.App.Name, request.Method, request.Path.Value ?? "", attempts, backend.Address, error);
            await RouterErrors.WriteAsync(x, StatusCodes.Status502BadGateway, RouterErrors.EndpointFailure, RouterErrors.Unreachable(backend.App.Name, attempts));
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask RespondAsync(Exchange x, HttpResponseMessage response, RequestCancellation cancellation, TunnelKind tunnel)
    {
        var context = x.Context;
        var backend = x.Backend!;
        if (response.StatusCode == HttpStatusCode.SwitchingProtocols)
        {
            if (tunnel != TunnelKind.None)
            {
                await WebSocketTunnel.RunAsync(x, response, cancellation, tunnel);
                return;
            }
            Log.UnexpectedUpgrade(logger, backend.App.Name, backend.Address, context.Request.Method, context.Request.Path.Value ?? "");
            await RouterErrors.WriteAsync(x, StatusCodes.Status502BadGateway, RouterErrors.EndpointFailure, RouterErrors.Unreachable(backend.App.Name, 1));
            return;
        }

        cancellation.Progress();
        var clientResponse = context.Response;
        clientResponse.StatusCode = (int)response.StatusCode;
        HeaderRules.CopyResponseHeaders(response, clientResponse.Headers, switchingProtocols: false);
        clientResponse.Headers[HeaderRules.RequestId] = x.RequestId;

        var body = await response.Content.ReadAsStreamAsync(cancellation.Token);
        var outcome = await StreamCopier.CopyAsync(body, clientResponse.Body, cancellation, flushFirst: true);
        x.ResponseBytes = outcome.Bytes;
        switch (outcome.Result)
        {
            case CopyResult.Completed:
                if (clientResponse.SupportsTrailers())
                {
                    HeaderRules.CopyTrailers(response, clientResponse);
                }
                break;
            case CopyResult.SourceFailed:
                Log.ResponseAborted(logger, backend.App.Name, backend.Address, context.Request.Method, context.Request.Path.Value ?? "");
                await RouterErrors.WriteAsync(x, StatusCodes.Status502BadGateway, RouterErrors.ResponseAborted, RouterErrors.BrokeOff(backend.App.Name));
                break;
            case CopyResult.Canceled when cancellation.TimedOut:
                Log.TimedOut(logger, backend.App.Name, backend.Address, context.Request.Method, context.Request.Path.Value ?? "", _options.RequestTimeout);
                await RouterErrors.WriteAsync(x, StatusCodes.Status504GatewayTimeout, RouterErrors.Timeout, RouterErrors.NoResponse(backend.App.Name, _options.RequestTimeout));
                break;
            default:
                x.ClientLeft();
                context.Abort();
                break;
        }
    }

    /// <summary>
    /// Whether another backend may get the request after <paramref name="failure"/>, like Envoy's retry_on
    /// connect-failure,reset and nginx's proxy_next_upstream error. The client has seen nothing yet either way.
    /// </summary>
    private static bool CanRetry(AttemptFailure failure, bool idempotent, StreamingRequestContent? content) => failure switch
    {
        // Nothing reached the app, so any method may go elsewhere; a body still unread by the handler can be.
        AttemptFailure.ConnectFailed => content is not { Started: true },
        // The app may have got the request and acted on it: only a method that means the same when repeated, and
        // only while its body (streamed, never buffered) has not begun to go out, as it cannot be read twice.
        AttemptFailure.DroppedBeforeResponse => idempotent && content is not { Started: true },
        _ => false,
    };

    private static AttemptFailure Classify(Exception error, RequestCancellation cancellation) => error switch
    {
        // The router's own timeout or the client leaving: the request is over, whichever backend it went to.
        _ when cancellation.IsCancellationRequested => AttemptFailure.Other,
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => AttemptFailure.ConnectFailed,
        HttpRequestException { InnerException: SocketException } => AttemptFailure.ConnectFailed,
        // SocketsHttpHandler's ConnectTimeout surfaces as a cancellation the router did not ask for.
        OperationCanceledException => AttemptFailure.ConnectFailed,
        // Reset or closed (a killed instance; a keep-alive connection it closed as the request went out) before
        // the response's headers were complete. SocketsHttpHandler has by then retried a stale pooled connection
        // once on a new one where it could, so this is the backend failing, not the pool.
        HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } => AttemptFailure.DroppedBeforeResponse,
        HttpRequestException { InnerException: IOException } => AttemptFailure.DroppedBeforeResponse,
        _ => AttemptFailure.Other,
    };

    private void Complete(Exchange x)
    {
        var end = Stopwatch.GetTimestamp();
        var context = x.Context;
        var status = x.Status != 0 ? x.Status : context.Response.StatusCode;
        var app = x.Backend?.App ?? x.Route?.App;
        if (app is null)
        {
            metrics.RecordUnrouted();
        }
        else
        {
            app.Counters.Record(status, (x.UpgradedTimestamp != 0 ? x.UpgradedTimestamp : end) - x.StartTimestamp);
        }
        if (accessLog is null)
        {
            return;
        }
        var request = context.Request;
        var backend = x.Backend;
        try
        {
            accessLog.Write(new AccessLogEntry
            {
                Timestamp = x.StartTime,
                Host = x.Host,
                Method = request.Method,
                Path = request.Path.Value ?? "",
                Protocol = request.Protocol,
                Scheme = x.Scheme ?? request.Scheme,
                Status = status,
                RequestBytes = x.RequestBytes,
                ResponseBytes = x.ResponseBytes,
                Duration = Stopwatch.GetElapsedTime(x.StartTimestamp, end),
                ClientAddress = ClientAddress(context.Connection),
                RequestId = x.RequestId,
                AppGuid = app?.Guid,
                AppName = app?.Name,
                ProcessType = app?.ProcessType,
                InstanceId = backend?.InstanceId,
                InstanceIndex = backend?.Index,
                BackendAddress = backend?.Address,
                UserAgent = request.Headers.UserAgent.Count > 0 ? request.Headers.UserAgent.ToString() : null,
                Referer = request.Headers.Referer.Count > 0 ? request.Headers.Referer.ToString() : null,
                ForwardedFor = x.ForwardedFor,
                RouterError = x.Error,
            });
        }
        catch (Exception e)
        {
            Log.AccessLogFailed(logger, e);
        }
    }

    private static string ClientAddress(ConnectionInfo connection)
    {
        var address = connection.RemoteIpAddress;
        if (address is null)
        {
            return "";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        return new IPEndPoint(address, connection.RemotePort).ToString();
    }
}

/// <summary>How one attempt to reach a backend failed, as far as retrying and ejecting are concerned.</summary>
internal enum AttemptFailure
{
    /// <summary>Anything else: an invalid response, the router's timeout, the client leaving.</summary>
    Other,

    /// <summary>No connection came about (refused, connect timeout): nothing of the request reached the app.</summary>
    ConnectFailed,

    /// <summary>The connection was reset or closed before the response headers were complete.</summary>
    DroppedBeforeResponse,
}
