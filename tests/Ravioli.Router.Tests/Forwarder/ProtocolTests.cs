using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Ravioli.Router.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Router.Tests.Forwarder;

public sealed class ProtocolTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private static Task<TestBackend> EchoWebSocketAsync() =>
        TestBackend.StartAsync("ws", async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                await context.Response.WriteAsync("plain " + context.Request.Protocol);
                return;
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", context.RequestAborted);
                    return;
                }
                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, context.RequestAborted);
            }
        }, app => app.UseWebSockets());

    [Fact]
    public async Task A_websocket_echoes_through_the_router()
    {
        await using var backend = await EchoWebSocketAsync();
        await using var router = await TestRouter.StartAsync(o => o.RequestTimeout = TimeSpan.FromMilliseconds(500));
        router.Route(Routes.To("ws.test", "", "ws", backend));
        using var invoker = new HttpMessageInvoker(router.Handler());
        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(Patience);

        await socket.ConnectAsync(new Uri("ws://ws.test/echo"), invoker, timeout.Token);
        foreach (var text in new[] { "hello", "through", "the router" })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
            var buffer = new byte[1024];
            var received = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.Equal(text, Encoding.UTF8.GetString(buffer, 0, received.Count));
        }
        // Idle longer than the request timeout: WebSockets have none.
        await Task.Delay(800, timeout.Token);
        await socket.SendAsync("still here"u8.ToArray(), WebSocketMessageType.Binary, endOfMessage: true, timeout.Token);
        var last = new byte[64];
        Assert.Equal(10, (await socket.ReceiveAsync(last, timeout.Token)).Count);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);

        Assert.Equal(WebSocketState.Closed, socket.State);
        Assert.Equal("bye", socket.CloseStatusDescription);
        var entry = await router.AccessLog.WaitForAsync(e => e.Host == "ws.test");
        Assert.Equal(101, entry.Status);
        Assert.True(entry.RequestBytes > 0 && entry.ResponseBytes > 0);
        await Eventually.TrueAsync(() => router.Metrics.Snapshot().Backends.Single().InFlight == 0);
    }

    [Fact]
    public async Task An_http2_websocket_is_bridged_to_the_apps_http_1_1_websocket()
    {
        await using var backend = await EchoWebSocketAsync();
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("ws.test", "", "ws", backend));
        using var invoker = new HttpMessageInvoker(router.Handler(http2: true));
        using var socket = new ClientWebSocket();
        socket.Options.HttpVersion = HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        using var timeout = new CancellationTokenSource(Patience);

        await socket.ConnectAsync(new Uri("ws://ws.test/echo"), invoker, timeout.Token);
        await socket.SendAsync("over h2"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        var buffer = new byte[64];
        var received = await socket.ReceiveAsync(buffer, timeout.Token);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);

        Assert.Equal("over h2", Encoding.UTF8.GetString(buffer, 0, received.Count));
        Assert.Equal(WebSocketState.Closed, socket.State);
        var entry = await router.AccessLog.WaitForAsync(e => e.Host == "ws.test");
        Assert.Equal("HTTP/2", entry.Protocol);
        Assert.Equal("CONNECT", entry.Method);
        Assert.Equal(200, entry.Status);
    }

    [Fact]
    public async Task A_connect_tunnel_is_refused()
    {
        await using var backend = await TestBackend.NamedAsync("any");
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("tunnel.test", "", "any", backend));
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, router.Port);
        await socket.SendAsync("CONNECT tunnel.test:443 HTTP/1.1\r\nHost: tunnel.test:443\r\n\r\n"u8.ToArray());
        var buffer = new byte[4096];
        var read = await socket.ReceiveAsync(buffer).WaitAsync(Patience);

        Assert.StartsWith("HTTP/1.1 405", Encoding.ASCII.GetString(buffer, 0, read), StringComparison.Ordinal);
        Assert.Equal(0, backend.Requests);
    }

    [Fact]
    public async Task A_plain_request_to_a_websocket_app_is_not_upgraded()
    {
        await using var backend = await EchoWebSocketAsync();
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("ws.test", "", "ws", backend));
        using var client = router.Client();

        using var request = new HttpRequestMessage(HttpMethod.Get, "http://ws.test/");
        // An h2c upgrade attempt (what curl --http2 sends) is not a WebSocket: the router drops the Upgrade header.
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new("h2c"));
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("plain HTTP/1.1", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_http2_client_is_served_on_the_h2c_endpoint_and_the_app_sees_http_1_1()
    {
        await using var backend = await TestBackend.StartAsync("h2", async context =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            await context.Response.WriteAsync($"{context.Request.Protocol} {context.Request.Method} {body} {context.Request.Headers.Host}");
        });
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("h2.test", "", "h2", backend));
        using var client = router.Client(http2: true);

        using var get = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://h2.test/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        });
        using var post = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "http://h2.test/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent("payload"),
        });

        Assert.Equal(HttpVersion.Version20, get.Version);
        Assert.Equal("HTTP/1.1 GET  h2.test", await get.Content.ReadAsStringAsync());
        Assert.Equal("HTTP/1.1 POST payload h2.test", await post.Content.ReadAsStringAsync());
        Assert.NotEmpty(get.Headers.GetValues("X-Request-Id"));
        var entry = await router.AccessLog.WaitForAsync(e => e.Method == "POST");
        Assert.Equal("HTTP/2", entry.Protocol);
    }

    [Fact]
    public async Task Chunked_response_trailers_of_an_http_1_1_app_reach_an_http2_client()
    {
        await using var backend = new RawBackend(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\nConnection: close\r\n\r\n"
            + "4\r\nbody\r\n0\r\nX-Checksum: abc123\r\n\r\n");
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.ToAddresses("trailers.test", "trailers", backend.Address));
        using var client = router.Client(http2: true);

        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "http://trailers.test/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        });

        Assert.Equal("body", await response.Content.ReadAsStringAsync());
        Assert.Equal("abc123", response.TrailingHeaders.GetValues("X-Checksum").Single());
        Assert.False(response.Headers.Contains("Trailer"));
    }

    [Fact]
    public async Task Many_concurrent_http2_streams_share_one_connection()
    {
        await using var backend = await TestBackend.StartAsync("h2", async context =>
        {
            await Task.Delay(20);
            await context.Response.WriteAsync(context.Request.Path);
        });
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("h2.test", "", "h2", backend));
        using var client = router.Client(http2: true);
        client.DefaultRequestVersion = HttpVersion.Version20;
        client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.GetStringAsync($"http://h2.test/{i}")));

        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"/{i}"), answers);
    }
}
