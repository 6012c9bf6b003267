using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Ravioli.Router.Configuration;

namespace Ravioli.Router.Tests.Infrastructure;

/// <summary>A real Kestrel app instance on 127.0.0.1:0 standing in for an app the router forwards to.</summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestBackend(WebApplication app, string name, int port)
    {
        _app = app;
        Name = name;
        Port = port;
    }

    public string Name { get; }
    public int Port { get; }
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Requests this backend has started to handle.</summary>
    public int Requests => Volatile.Read(ref _requests);

    private int _requests;

    public Backend AsBackend(int index = 0) => new($"{Name}-instance", index, Address);

    /// <summary>Starts a backend that answers with <paramref name="handler"/>; <paramref name="configure"/> can add middleware first (UseWebSockets).</summary>
    public static async Task<TestBackend> StartAsync(string name, RequestDelegate handler, Action<WebApplication>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        TestBackend? self = null;
        app.Use(async (context, next) =>
        {
            Interlocked.Increment(ref self!._requests);
            context.Response.Headers["X-Backend"] = name;
            await next(context);
        });
        configure?.Invoke(app);
        app.Run(handler);
        await app.StartAsync();
        var port = new Uri(app.Urls.Single()).Port;
        self = new TestBackend(app, name, port);
        return self;
    }

    /// <summary>A backend that answers every request with its name.</summary>
    public static Task<TestBackend> NamedAsync(string name) =>
        StartAsync(name, context => context.Response.WriteAsync(name));

    /// <summary>A port nothing listens on: connecting is refused at once.</summary>
    public static string DeadAddress()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return $"127.0.0.1:{((IPEndPoint)socket.LocalEndPoint!).Port}";
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
