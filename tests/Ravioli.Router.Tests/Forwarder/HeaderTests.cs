using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Ravioli.Router.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Router.Tests.Forwarder;

public sealed class HeaderTests
{
    /// <summary>A backend that answers with the request headers it got, as JSON.</summary>
    private static Task<TestBackend> EchoHeadersAsync() =>
        TestBackend.StartAsync("echo", context =>
        {
            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            headers["protocol"] = context.Request.Protocol;
            return context.Response.WriteAsJsonAsync(headers);
        });

    private static async Task<Dictionary<string, string>> HeadersSeenAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonSerializer.Deserialize<Dictionary<string, string>>(await response.Content.ReadAsStringAsync())!;
    }

    [Fact]
    public async Task Forwarded_headers_and_a_new_request_id_reach_the_app_and_the_id_comes_back()
    {
        await using var echo = await EchoHeadersAsync();
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("fwd.test", "", "fwd", echo));
        using var client = router.Client();

        using var response = await client.GetAsync("http://fwd.test:8081/path");
        var seen = await HeadersSeenAsync(response);

        Assert.Equal("127.0.0.1", seen["x-forwarded-for"]);
        Assert.Equal("http", seen["x-forwarded-proto"]);
        Assert.Equal("fwd.test:8081", seen["x-forwarded-host"]);
        Assert.Equal("fwd.test:8081", seen["host"]);
        Assert.True(Guid.TryParse(seen["x-request-id"], out _), seen["x-request-id"]);
        Assert.Equal(seen["x-request-id"], seen["x-vcap-request-id"]);
        Assert.Equal(seen["x-request-id"], response.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal("HTTP/1.1", seen["protocol"]);
    }

    [Fact]
    public async Task The_clients_request_id_and_forwarded_chain_are_kept()
    {
        await using var echo = await EchoHeadersAsync();
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("fwd.test", "", "fwd", echo));
        using var client = router.Client();

        using var request = new HttpRequestMessage(HttpMethod.Get, "http://fwd.test/");
        request.Headers.Add("X-Request-Id", "req-42.abc");
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var response = await client.SendAsync(request);
        var seen = await HeadersSeenAsync(response);

        Assert.Equal("req-42.abc", seen["x-request-id"]);
        Assert.Equal("req-42.abc", response.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal("203.0.113.9, 127.0.0.1", seen["x-forwarded-for"]);
        Assert.Equal("https", seen["x-forwarded-proto"]);
    }

    [Fact]
    public async Task Untrusted_forwarded_headers_are_replaced_and_odd_request_ids_too()
    {
        await using var echo = await EchoHeadersAsync();
        await using var router = await TestRouter.StartAsync(o => o.TrustForwardedHeaders = false);
        router.Route(Routes.To("fwd.test", "", "fwd", echo));
        using var client = router.Client();

        using var request = new HttpRequestMessage(HttpMethod.Get, "http://fwd.test/");
        request.Headers.TryAddWithoutValidation("X-Request-Id", "has spaces \"and quotes\"");
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var response = await client.SendAsync(request);
        var seen = await HeadersSeenAsync(response);

        Assert.True(Guid.TryParse(seen["x-request-id"], out _), seen["x-request-id"]);
        Assert.Equal("127.0.0.1", seen["x-forwarded-for"]);
        Assert.Equal("http", seen["x-forwarded-proto"]);
    }

    [Fact]
    public async Task Non_ascii_header_bytes_pass_through_unchanged_both_ways()
    {
        // UTF-8 bytes as apps send them, one char per byte so both ends can compare them.
        var latin1 = System.Text.Encoding.Latin1;
        var fileName = latin1.GetString(System.Text.Encoding.UTF8.GetBytes("attachment; filename=\"r\u00e9sum\u00e9.pdf\""));
        await using var backend = new RawBackend(
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Disposition: " + fileName + "\r\nConnection: close\r\n\r\nok");
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.ToAddresses("bytes.test", "bytes", backend.Address));
        var handler = router.Handler();
        handler.ResponseHeaderEncodingSelector = (_, _) => latin1;
        using var client = new HttpClient(handler);

        using var response = await client.GetAsync("http://bytes.test/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(fileName, response.Content.Headers.GetValues("Content-Disposition").Single());
    }

    [Fact]
    public async Task Hop_by_hop_request_headers_stay_at_the_router()
    {
        await using var echo = await EchoHeadersAsync();
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("hop.test", "", "hop", echo));
        using var client = router.Client();

        using var request = new HttpRequestMessage(HttpMethod.Get, "http://hop.test/");
        request.Headers.Connection.Add("X-Hop-Listed");
        request.Headers.Add("X-Hop-Listed", "1");
        request.Headers.Add("Keep-Alive", "timeout=5");
        request.Headers.Add("Proxy-Authorization", "Basic c2VjcmV0");
        request.Headers.Add("Proxy-Connection", "keep-alive");
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        request.Headers.Add("X-End-To-End", "kept");
        using var response = await client.SendAsync(request);
        var seen = await HeadersSeenAsync(response);

        Assert.Equal("kept", seen["x-end-to-end"]);
        Assert.DoesNotContain("x-hop-listed", seen.Keys);
        Assert.DoesNotContain("keep-alive", seen.Keys);
        Assert.DoesNotContain("proxy-authorization", seen.Keys);
        Assert.DoesNotContain("proxy-connection", seen.Keys);
        Assert.DoesNotContain("te", seen.Keys);
        Assert.False(seen.TryGetValue("connection", out var connection) && connection.Contains("X-Hop", StringComparison.OrdinalIgnoreCase), connection);
    }

    [Fact]
    public async Task Hop_by_hop_response_headers_stay_at_the_router_and_the_rest_arrive_intact()
    {
        await using var backend = await TestBackend.StartAsync("hop", context =>
        {
            var headers = context.Response.Headers;
            headers["Keep-Alive"] = "timeout=5";
            headers["Proxy-Authenticate"] = "Basic";
            headers["X-Backend-Hop"] = "1";
            headers.Connection = "X-Backend-Hop";
            headers.Append("Set-Cookie", "a=1; Path=/");
            headers.Append("Set-Cookie", "b=2; Path=/");
            headers["X-Custom"] = "yes";
            context.Response.StatusCode = 418;
            context.Response.ContentType = "text/x-teapot";
            return context.Response.WriteAsync("short and stout");
        });
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("hop.test", "", "hop", backend));
        using var client = router.Client();

        using var response = await client.GetAsync("http://hop.test/");

        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("short and stout", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/x-teapot", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(["a=1; Path=/", "b=2; Path=/"], response.Headers.GetValues("Set-Cookie"));
        Assert.Equal("yes", response.Headers.GetValues("X-Custom").Single());
        Assert.False(response.Headers.Contains("Keep-Alive"));
        Assert.False(response.Headers.Contains("Proxy-Authenticate"));
        Assert.False(response.Headers.Contains("X-Backend-Hop"));
    }
}
