using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Ravioli.Router.Configuration;
using Ravioli.Router.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Router.Tests.Forwarder;

public sealed class FailureTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_get_to_a_dead_instance_is_retried_on_a_live_one()
    {
        await using var live = await TestBackend.NamedAsync("live");
        await using var router = await TestRouter.StartAsync(o => o.Balancing = BalancingPolicy.RoundRobin);
        // Round robin starts at the first backend, so the first request goes to the dead one.
        router.Route(Routes.ToAddresses("retry.test", "retry", TestBackend.DeadAddress(), live.Address));
        using var client = router.Client();

        using var response = await client.GetAsync("http://retry.test/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("live", await response.Content.ReadAsStringAsync());
        var entry = await router.AccessLog.WaitForAsync(e => e.Host == "retry.test");
        Assert.Equal(live.Address, entry.BackendAddress);
    }

    [Fact]
    public async Task With_least_requests_every_get_succeeds_while_one_of_two_instances_is_dead()
    {
        await using var live = await TestBackend.NamedAsync("live");
        await using var router = await TestRouter.StartAsync(o => o.Balancing = BalancingPolicy.LeastRequests);
        router.Route(Routes.ToAddresses("half.test", "half", TestBackend.DeadAddress(), live.Address));
        using var client = router.Client();

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("live", await client.GetStringAsync("http://half.test/"));
        }
        Assert.Equal(10, live.Requests);
    }

    [Fact]
    public async Task A_post_to_an_instance_refusing_connections_is_retried_with_its_body_on_another()
    {
        await using var live = await TestBackend.StartAsync("live", async context =>
            await context.Response.WriteAsync("got " + await new StreamReader(context.Request.Body).ReadToEndAsync()));
        await using var router = await TestRouter.StartAsync(o => o.Balancing = BalancingPolicy.RoundRobin);
        router.Route(Routes.ToAddresses("post.test", "poster", TestBackend.DeadAddress(), live.Address));
        using var client = router.Client();

        // Round robin's turn 0 is the dead backend: a refused connect means nothing reached the app, so even a POST
        // with a body (not yet read from the client) goes to the next one.
        using var response = await client.PostAsync("http://post.test/", new StringContent("one"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("got one", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, live.Requests);
    }

    [Fact]
    public async Task A_get_whose_connection_is_reset_before_any_answer_is_retried_on_another_instance()
    {
        await using var resetting = new ResettingBackend();
        await using var live = await TestBackend.NamedAsync("live");
        await using var router = await TestRouter.StartAsync(o => o.Balancing = BalancingPolicy.RoundRobin);
        router.Route(Routes.ToAddresses("reset.test", "reset", resetting.Address, live.Address));
        using var client = router.Client();

        using var response = await client.GetAsync("http://reset.test/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("live", await response.Content.ReadAsStringAsync());
        Assert.True(resetting.Requests >= 1, "the first attempt reached the resetting backend");
        var entry = await router.AccessLog.WaitForAsync(e => e.Host == "reset.test");
        Assert.Equal(live.Address, entry.BackendAddress);
    }

    [Fact]
    public async Task A_post_whose_connection_is_reset_after_its_body_went_out_is_not_replayed()
    {
        await using var resetting = new ResettingBackend();
        await using var live = await TestBackend.NamedAsync("live");
        await using var router = await TestRouter.StartAsync(o => o.Balancing = BalancingPolicy.RoundRobin);
        router.Route(Routes.ToAddresses("once.test", "once", resetting.Address, live.Address));
        using var client = router.Client();

        using var response = await client.PostAsync("http://once.test/", new StringContent("pay 10 euros"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("endpoint_failure", response.Headers.GetValues("X-Cf-RouterError").Single());
        Assert.Equal(["pay 10 euros"], resetting.Bodies);
        Assert.Equal(0, live.Requests);
    }

    [Fact]
    public async Task A_post_without_body_whose_connection_is_reset_is_not_replayed_either()
    {
        await using var resetting = new ResettingBackend();
        await using var live = await TestBackend.NamedAsync("live");
        await using var router = await TestRouter.StartAsync(o => o.Balancing = BalancingPolicy.RoundRobin);
        router.Route(Routes.ToAddresses("empty.test", "empty", resetting.Address, live.Address));
        using var client = router.Client();

        using var response = await client.PostAsync("http://empty.test/", null);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(0, live.Requests);
    }

    [Fact]
    public async Task A_get_on_a_pooled_connection_to_an_instance_killed_since_goes_to_the_other_instance()
    {
        await using var doomed = new ResettingBackend(answered: 1);
        await using var live = await TestBackend.NamedAsync("live");
        await using var router = await TestRouter.StartAsync(o => o.Balancing = BalancingPolicy.RoundRobin);
        router.Route(Routes.ToAddresses("killed.test", "killed", doomed.Address, live.Address));
        using var client = router.Client();
        Assert.Equal("reset", await client.GetStringAsync("http://killed.test/"));
        Assert.Equal("live", await client.GetStringAsync("http://killed.test/"));

        // The router's pooled keep-alive connection to it stays open; its next request on it is reset, and new
        // connections are refused, as with a process killed by SIGKILL.
        doomed.Kill();
        using var response = await client.GetAsync("http://killed.test/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("live", await response.Content.ReadAsStringAsync());
        Assert.Equal(2, doomed.Requests);
    }

    [Fact]
    public async Task An_instance_that_failed_is_avoided_while_another_answers()
    {
        await using var resetting = new ResettingBackend();
        await using var live = await TestBackend.NamedAsync("live");
        await using var router = await TestRouter.StartAsync(o =>
        {
            o.Balancing = BalancingPolicy.RoundRobin;
            o.EjectionTime = TimeSpan.FromMinutes(1);
        });
        router.Route(Routes.ToAddresses("eject.test", "eject", resetting.Address, live.Address));
        using var client = router.Client();

        Assert.Equal("live", await client.GetStringAsync("http://eject.test/"));
        // SocketsHttpHandler itself sends a GET again on a new connection a few times when one is reset.
        var attempts = resetting.Requests;
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("live", await client.GetStringAsync("http://eject.test/"));
        }

        // Only the first request paid for the failed instance; round robin's later turns on it went to the other.
        Assert.True(attempts >= 1);
        Assert.Equal(attempts, resetting.Requests);
        Assert.Equal(6, live.Requests);
    }

    [Fact]
    public async Task An_ejected_instance_is_still_tried_when_it_is_the_only_one()
    {
        await using var doomed = new ResettingBackend(answered: 0);
        await using var router = await TestRouter.StartAsync(o => o.EjectionTime = TimeSpan.FromMinutes(1));
        router.Route(Routes.ToAddresses("alone.test", "alone", doomed.Address));
        using var client = router.Client();

        using var first = await client.GetAsync("http://alone.test/");
        var attempts = doomed.Requests;
        using var second = await client.GetAsync("http://alone.test/");

        Assert.Equal(HttpStatusCode.BadGateway, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, second.StatusCode);
        Assert.True(doomed.Requests > attempts, "the second request was sent to the ejected instance too");
    }

    [Fact]
    public async Task Only_dead_instances_give_502_after_the_retries()
    {
        await using var router = await TestRouter.StartAsync(o => o.MaxRetries = 2);
        router.Route(Routes.ToAddresses("dead.test", "ghost", TestBackend.DeadAddress(), TestBackend.DeadAddress(), TestBackend.DeadAddress(), TestBackend.DeadAddress()));
        using var client = router.Client();

        using var response = await client.GetAsync("http://dead.test/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("3 instance(s) refused or dropped the connection", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backend_that_drops_the_connection_before_answering_gives_502()
    {
        await using var rude = await TestBackend.StartAsync("rude", context =>
        {
            context.Abort();
            return Task.CompletedTask;
        });
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("rude.test", "", "rude", rude));
        using var client = router.Client();

        using var response = await client.GetAsync("http://rude.test/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.DoesNotContain("   at ", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backend_that_breaks_off_its_body_makes_the_router_cut_the_client_connection()
    {
        await using var backend = new RawBackend("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part");
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.ToAddresses("cut.test", "cut", backend.Address));
        using var client = router.Client();

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync("http://cut.test/"));

        var entry = await router.AccessLog.WaitForAsync(e => e.Host == "cut.test");
        Assert.Equal("endpoint_response_aborted", entry.RouterError);
        Assert.Equal(11, entry.ResponseBytes);
    }

    [Fact]
    public async Task A_backend_that_does_not_answer_in_time_gives_504_and_sees_its_request_cancelled()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await TestBackend.StartAsync("slow", async context =>
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult();
            }
        });
        await using var router = await TestRouter.StartAsync(o => o.RequestTimeout = TimeSpan.FromMilliseconds(300));
        router.Route(Routes.To("slow.test", "", "sleepy", slow));
        using var client = router.Client();

        using var response = await client.GetAsync("http://slow.test/");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("App 'sleepy' did not respond within 0.3 seconds", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await cancelled.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_response_that_stalls_after_its_headers_is_cut_off_at_the_timeout()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var stall = await TestBackend.StartAsync("stall", async context =>
        {
            await context.Response.WriteAsync("partial");
            await context.Response.Body.FlushAsync();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult();
            }
        });
        await using var router = await TestRouter.StartAsync(o => o.RequestTimeout = TimeSpan.FromMilliseconds(300));
        router.Route(Routes.To("stall.test", "", "stall", stall));
        using var client = router.Client();

        using var response = await client.GetAsync("http://stall.test/", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => response.Content.ReadAsStringAsync().WaitAsync(Patience));
        await cancelled.Task.WaitAsync(Patience);
        var entry = await router.AccessLog.WaitForAsync(e => e.Host == "stall.test");
        Assert.Equal("timeout", entry.RouterError);
    }

    [Fact]
    public async Task A_response_that_keeps_moving_outlives_the_timeout()
    {
        await using var trickle = await TestBackend.StartAsync("trickle", async context =>
        {
            // Gaps well under the timeout, a total well over it: only a timer that progress resets lets this through.
            for (var i = 0; i < 6; i++)
            {
                await context.Response.WriteAsync($"{i}");
                await context.Response.Body.FlushAsync();
                await Task.Delay(500);
            }
        });
        await using var router = await TestRouter.StartAsync(o => o.RequestTimeout = TimeSpan.FromSeconds(2));
        router.Route(Routes.To("trickle.test", "", "trickle", trickle));
        using var client = router.Client();

        Assert.Equal("012345", await client.GetStringAsync("http://trickle.test/"));
    }

    [Fact]
    public async Task A_client_that_leaves_cancels_the_backend_request()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await TestBackend.StartAsync("slow", async context =>
        {
            started.SetResult();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult();
            }
        });
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("leave.test", "", "leave", slow));
        using var client = router.Client();
        using var leave = new CancellationTokenSource();

        var request = client.GetAsync("http://leave.test/", leave.Token);
        await started.Task.WaitAsync(Patience);
        await leave.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        await cancelled.Task.WaitAsync(Patience);
        var entry = await router.AccessLog.WaitForAsync(e => e.Host == "leave.test");
        Assert.Equal(499, entry.Status);
        await Eventually.TrueAsync(() => router.Metrics.Snapshot().Backends.Single().InFlight == 0);
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413_whether_its_length_is_declared_or_not()
    {
        await using var backend = await TestBackend.StartAsync("sink", async context =>
            await context.Response.WriteAsync((await new StreamReader(context.Request.Body).ReadToEndAsync()).Length.ToString()));
        await using var router = await TestRouter.StartAsync(o => o.MaxRequestBodySize = 1024 * 1024);
        router.Route(Routes.To("limit.test", "", "limit", backend));
        using var client = router.Client();

        using var fits = await client.PostAsync("http://limit.test/", new StringContent(new string('x', 1024 * 1024)));
        Assert.Equal("1048576", await fits.Content.ReadAsStringAsync());

        using var declared = new HttpRequestMessage(HttpMethod.Post, "http://limit.test/") { Content = new ByteArrayContent(new byte[2 * 1024 * 1024]) };
        declared.Headers.ExpectContinue = true;
        using var tooLarge = await client.SendAsync(declared);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Contains("larger than the router's limit of 1048576 bytes", await tooLarge.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, backend.Requests);

        // Chunked: the router only finds out while streaming; the client may see the 413 or, if it was still
        // sending when the router closed the connection, a reset. Either way the app never gets the whole body.
        var chunked = new StreamContent(new MemoryStream(new byte[2 * 1024 * 1024]));
        using var chunkedRequest = new HttpRequestMessage(HttpMethod.Post, "http://limit.test/") { Content = chunked };
        chunkedRequest.Headers.TransferEncodingChunked = true;
        try
        {
            using var response = await client.SendAsync(chunkedRequest);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }
        catch (HttpRequestException)
        {
        }
        var entry = await router.AccessLog.WaitForAsync(e => e.Status == 413 && e.BackendAddress is not null);
        Assert.Equal("request_too_large", entry.RouterError);
        Assert.True(entry.ResponseBytes > 0);
    }

    [Fact]
    public async Task Raw_http_1_0_without_host_and_garbage_never_see_a_stack_trace()
    {
        await using var router = await TestRouter.StartAsync();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, router.Port);
        await socket.SendAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
        var buffer = new byte[4096];
        var text = new StringBuilder();
        int read;
        while ((read = await socket.ReceiveAsync(buffer).WaitAsync(Patience)) > 0)
        {
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        Assert.StartsWith("HTTP/1.1 404", text.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text.ToString(), StringComparison.Ordinal);
    }
}
