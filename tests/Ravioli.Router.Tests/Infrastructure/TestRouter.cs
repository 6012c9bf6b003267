using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ravioli.Router.AccessLog;
using Ravioli.Router.Configuration;
using Ravioli.Router.Metrics;
using Ravioli.Router.Routing;

namespace Ravioli.Router.Tests.Infrastructure;

/// <summary>The router on its own Kestrel ports (HTTP/1.1 and h2c), hosted as the node agent will host it.</summary>
public sealed class TestRouter : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestRouter(WebApplication app, int port, int http2Port, CollectingAccessLog accessLog)
    {
        _app = app;
        Port = port;
        Http2Port = http2Port;
        AccessLog = accessLog;
        Store = app.Services.GetRequiredService<RouteTableStore>();
        Metrics = app.Services.GetRequiredService<RouterMetrics>();
    }

    public int Port { get; }
    public int Http2Port { get; }
    public RouteTableStore Store { get; }
    public RouterMetrics Metrics { get; }
    public CollectingAccessLog AccessLog { get; }

    /// <param name="sink">Where access log entries go besides <see cref="AccessLog"/>.</param>
    public static async Task<TestRouter> StartAsync(Action<RouterOptions>? configure = null, IAccessLog? sink = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenRavioliRouter(new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Loopback, 0)));
        var accessLog = new CollectingAccessLog(sink);
        builder.Services.AddSingleton<IAccessLog>(accessLog);
        builder.Services.AddRavioliRouter(configure);
        var app = builder.Build();
        app.MapRavioliRouter();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        // Kestrel reports bound addresses in the order the endpoints were configured.
        var ports = app.Urls.Select(u => new Uri(u).Port).ToArray();
        return new TestRouter(app, ports[0], ports[1], accessLog);
    }

    public void Route(params Route[] routes) => Store.Update(new RouteTable(routes));

    /// <summary>A client whose every connection goes to the router, whatever host the URL names, so Host headers stay natural.</summary>
    public HttpClient Client(bool http2 = false) => new(Handler(http2)) { Timeout = TimeSpan.FromSeconds(60) };

    public SocketsHttpHandler Handler(bool http2 = false)
    {
        var port = http2 ? Http2Port : Port;
        return new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}

/// <summary>Keeps every access log entry for assertions.</summary>
public sealed class CollectingAccessLog(IAccessLog? next = null) : IAccessLog
{
    private readonly ConcurrentQueue<AccessLogEntry> _entries = new();

    public IReadOnlyCollection<AccessLogEntry> Entries => _entries;

    public void Write(AccessLogEntry entry)
    {
        _entries.Enqueue(entry);
        next?.Write(entry);
    }

    /// <summary>Entries are written just after the response completes, so a test that has its response may have to wait a moment.</summary>
    public async Task<AccessLogEntry> WaitForAsync(Func<AccessLogEntry, bool> match)
    {
        var entry = await Eventually.ValueAsync(() => _entries.FirstOrDefault(match));
        return entry;
    }
}

public static class Eventually
{
    public static async Task<T> ValueAsync<T>(Func<T?> probe, int timeoutSeconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var value = probe();
            if (value is not null)
            {
                return value;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The awaited condition did not come true.");
            }
            await Task.Delay(20);
        }
    }

    public static Task TrueAsync(Func<bool> condition, int timeoutSeconds = 10) =>
        ValueAsync<object>(() => condition() ? true : null, timeoutSeconds);
}

/// <summary>Builds routes for tests: app guid "guid-NAME", one instance per backend numbered in order.</summary>
public static class Routes
{
    public static Route To(string host, string path, string appName, params TestBackend[] backends) =>
        new(host, path, "guid-" + appName, appName, "web", backends.Select((b, i) => b.AsBackend(i)).ToArray());

    public static Route ToAddresses(string host, string appName, params string[] addresses) =>
        new(host, "", "guid-" + appName, appName, "web", addresses.Select((a, i) => new Backend($"{appName}-{i}", i, a)).ToArray());
}
