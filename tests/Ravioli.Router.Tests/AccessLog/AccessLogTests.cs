using Microsoft.AspNetCore.Http;
using Ravioli.Router.AccessLog;
using Ravioli.Router.Configuration;
using Ravioli.Router.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Router.Tests.AccessLog;

public sealed class AccessLogTests
{
    [Fact]
    public async Task Every_request_leaves_an_entry_with_app_instance_sizes_and_request_id()
    {
        await using var backend = await TestBackend.StartAsync("log", async context =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            await context.Response.WriteAsync("received " + body.Length);
        });
        await using var router = await TestRouter.StartAsync();
        router.Route(new Route("log.test", "", "guid-log", "logger", "web", [new Backend("inst-7", 3, backend.Address)]));
        using var client = router.Client();

        using var request = new HttpRequestMessage(HttpMethod.Put, "http://log.test:8081/items/1?token=secret") { Content = new StringContent("0123456789") };
        request.Headers.UserAgent.ParseAdd("tests/1.0");
        request.Headers.Referrer = new Uri("http://referer.test/");
        using var response = await client.SendAsync(request);
        var requestId = response.Headers.GetValues("X-Request-Id").Single();
        var entry = await router.AccessLog.WaitForAsync(e => e.RequestId == requestId);

        Assert.Equal("log.test:8081", entry.Host);
        Assert.Equal("PUT", entry.Method);
        Assert.Equal("/items/1", entry.Path);
        Assert.Equal("HTTP/1.1", entry.Protocol);
        Assert.Equal(200, entry.Status);
        Assert.Equal(10, entry.RequestBytes);
        Assert.Equal("received 10".Length, entry.ResponseBytes);
        Assert.Equal("guid-log", entry.AppGuid);
        Assert.Equal("logger", entry.AppName);
        Assert.Equal("web", entry.ProcessType);
        Assert.Equal("inst-7", entry.InstanceId);
        Assert.Equal(3, entry.InstanceIndex);
        Assert.Equal(backend.Address, entry.BackendAddress);
        Assert.StartsWith("127.0.0.1:", entry.ClientAddress, StringComparison.Ordinal);
        Assert.Equal("tests/1.0", entry.UserAgent);
        Assert.Equal("http://referer.test/", entry.Referer);
        Assert.Equal("127.0.0.1", entry.ForwardedFor);
        Assert.Null(entry.RouterError);
        Assert.True(entry.Duration > TimeSpan.Zero);
        Assert.True(DateTimeOffset.UtcNow - entry.Timestamp < TimeSpan.FromMinutes(5));

        var line = AccessLogFormatter.Format(entry);
        Assert.Contains("\"PUT /items/1 HTTP/1.1\" 200 10 11", line, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_sink_does_not_fail_requests()
    {
        await using var backend = await TestBackend.NamedAsync("ok");
        await using var router = await TestRouter.StartAsync(sink: new ThrowingAccessLog());
        router.Route(Routes.To("ok.test", "", "ok", backend));
        using var client = router.Client();

        Assert.Equal("ok", await client.GetStringAsync("http://ok.test/"));
        Assert.Equal("ok", await client.GetStringAsync("http://ok.test/"));
    }

    private sealed class ThrowingAccessLog : IAccessLog
    {
        public void Write(AccessLogEntry entry) => throw new InvalidOperationException("sink is full");
    }

    [Fact]
    public void The_formatter_writes_one_gorouter_style_line_and_escapes_what_clients_sent()
    {
        var entry = new AccessLogEntry
        {
            Timestamp = new DateTimeOffset(2025, 1, 31, 10, 0, 0, 123, TimeSpan.Zero),
            Host = "app.example.com",
            Method = "GET",
            Path = "/a\"b",
            Protocol = "HTTP/1.1",
            Scheme = "https",
            Status = 200,
            RequestBytes = 0,
            ResponseBytes = 512,
            Duration = TimeSpan.FromMilliseconds(3.012),
            ClientAddress = "10.0.0.1:5123",
            RequestId = "req-1",
            AppGuid = "guid-1",
            AppName = "app",
            InstanceId = "inst-1",
            InstanceIndex = 0,
            BackendAddress = "127.0.0.1:41234",
            UserAgent = "curl/8.5\nfake line",
            ForwardedFor = "10.0.0.1",
        };

        Assert.Equal(
            "app.example.com - [2025-01-31T10:00:00.123+0000] \"GET /a\\\"b HTTP/1.1\" 200 0 512 \"-\" \"curl/8.5\\x0afake line\" "
            + "\"10.0.0.1:5123\" \"127.0.0.1:41234\" x_forwarded_for:\"10.0.0.1\" x_forwarded_proto:\"https\" vcap_request_id:\"req-1\" "
            + "response_time:0.003012 app_id:\"guid-1\" app_index:\"0\" instance_id:\"inst-1\" x_cf_routererror:\"-\"",
            AccessLogFormatter.Format(entry));
    }
}
