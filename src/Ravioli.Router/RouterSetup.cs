using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Ravioli.Router.Configuration;
using Ravioli.Router.Forwarder;
using Ravioli.Router.Metrics;
using Ravioli.Router.Routing;

namespace Ravioli.Router;

/// <summary>Registers and hosts the router; the node agent composes it on a Kestrel port of its own.</summary>
public static class RouterSetup
{
    /// <summary>
    /// Adds the router's services: <see cref="RouteTableStore"/> (the table to update), <see cref="RouterMetrics"/>,
    /// and the backend connection pool. Register an <see cref="AccessLog.IAccessLog"/> to receive access log entries.
    /// </summary>
    public static IServiceCollection AddRavioliRouter(this IServiceCollection services, Action<RouterOptions>? configure = null)
    {
        var options = services.AddOptions<RouterOptions>().ValidateDataAnnotations().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RouterMetrics>();
        services.TryAddSingleton<RouteTableStore>();
        services.TryAddSingleton<BackendClient>();
        services.TryAddSingleton<RequestForwarder>();
        // Kestrel would hand each socket read to its own I/O queue and then to the thread pool again before the
        // router sees the request, and each write back the same way: several thread switches per request, the
        // largest cost of a forwarded request on a small machine. Inline, the router runs on the thread that
        // completed the socket read: a thread-pool thread, or with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1
        // (the node agent sets it) the runtime's epoll thread itself. Safe because the forwarder never blocks.
        // Kestrel's zero-byte receive before renting a buffer (WaitForDataBeforeAllocatingBuffer) stays: strace shows
        // the same 4 receives per forwarded request without it (the runtime completes the zero-byte wait from epoll
        // without another syscall), so turning it off would only pin 4 KiB per idle client connection.
        services.Configure<SocketTransportOptions>(static o => o.UnsafePreferInlineScheduling = true);
        // ASP.NET Core's hosting layer starts an Activity and a logging scope for every request as soon as its
        // category logs anything at all, even with no trace listener. The router writes its own access log and
        // metrics, so that category stays off: two allocations-heavy objects less per request.
        services.AddLogging(static logging => logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None));
        return services;
    }

    /// <summary>Ends the pipeline with the router: every request that gets here is routed to an app or answered by the router.</summary>
    public static IApplicationBuilder MapRavioliRouter(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var router = app.ApplicationServices.GetRequiredService<RequestForwarder>();
        app.Run(router.InvokeAsync);
        return app;
    }

    /// <summary>
    /// Listens for the router on <paramref name="endpoint"/> (HTTP/1.1, with WebSockets) and, when given, on
    /// <paramref name="http2Endpoint"/> for cleartext HTTP/2 with prior knowledge (h2c). Two ports because Kestrel
    /// speaks only HTTP/1.1 on a cleartext endpoint configured for both: without TLS there is no ALPN to choose by.
    /// Also sets server-wide options the router relies on: no Server header, header bytes passed through as Latin-1.
    /// </summary>
    public static KestrelServerOptions ListenRavioliRouter(this KestrelServerOptions kestrel, IPEndPoint endpoint, IPEndPoint? http2Endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(endpoint);
        // Apps set their own Server header if they want one; the router's would only advertise Kestrel to scanners.
        kestrel.AddServerHeader = false;
        // Header bytes pass through as they are: Kestrel would refuse non-ASCII ones (a raw UTF-8 file name in
        // Content-Disposition, say) both ways, and Latin-1 maps every byte to one char and back.
        kestrel.RequestHeaderEncodingSelector = static _ => Encoding.Latin1;
        kestrel.ResponseHeaderEncodingSelector = static _ => Encoding.Latin1;
        kestrel.Listen(endpoint, listen => listen.Protocols = HttpProtocols.Http1);
        if (http2Endpoint is not null)
        {
            kestrel.Listen(http2Endpoint, listen => listen.Protocols = HttpProtocols.Http2);
        }
        return kestrel;
    }
}
