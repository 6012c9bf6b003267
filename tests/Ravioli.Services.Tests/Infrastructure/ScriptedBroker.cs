using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ravioli.Services.Osb;

namespace Ravioli.Services.Tests.Infrastructure;

/// <summary>What the scripted broker received.</summary>
public sealed record ReceivedRequest(string Method, string Path, string RawTarget, IReadOnlyDictionary<string, string> Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// A misbehaving broker on Kestrel (127.0.0.1, a free port) that answers every request with the handler a test scripts,
/// and records what it received. Its base URL has a path (/brokers/test) so tests see paths appended to it.
/// </summary>
public sealed class ScriptedBroker : IAsyncDisposable
{
    public const string Username = "broker-user";
    public const string Password = "s3cret-broker-pass";
    public const string BasePath = "/brokers/test";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private volatile Func<HttpContext, Task> _handler = context => Reply(context, 500, """{"description":"no script"}""");

    private ScriptedBroker(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public BrokerEndpoint Endpoint => new(new Uri($"http://127.0.0.1:{Port}{BasePath}"), Username, Password);

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    public ReceivedRequest LastRequest => Requests[^1];

    public static async Task<ScriptedBroker> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        // Handlers of timeout tests wait for the client to give up; never let one hold up the test's end.
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(2));
        var app = builder.Build();
        ScriptedBroker? broker = null;
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            broker!._requests.Enqueue(new ReceivedRequest(
                context.Request.Method,
                context.Request.Path.Value ?? "",
                context.Features.Get<IHttpRequestFeature>()!.RawTarget,
                context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal),
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                body));
            try
            {
                await broker._handler(context);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client gave up (a timeout test); nothing left to answer.
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        broker = new ScriptedBroker(app, new Uri(address).Port);
        return broker;
    }

    /// <summary>Answers every request from now on with <paramref name="handler"/>.</summary>
    public void Script(Func<HttpContext, Task> handler) => _handler = handler;

    /// <summary>Answers every request with this status, body and optional headers.</summary>
    public void Respond(int status, string? body = null, params (string Name, string Value)[] headers) =>
        Script(context => Reply(context, status, body, headers));

    public static async Task Reply(HttpContext context, int status, string? body, params (string Name, string Value)[] headers)
    {
        context.Response.StatusCode = status;
        foreach (var (name, value) in headers)
        {
            context.Response.Headers[name] = value;
        }
        if (body is not null)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(body, context.RequestAborted);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
