using System.Net;
using Microsoft.AspNetCore.Http;
using Ravioli.Router.Configuration;
using Ravioli.Router.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Router.Tests.LoadBalancing;

public sealed class BalancingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Round_robin_spreads_requests_evenly_over_three_backends()
    {
        await using var a = await TestBackend.NamedAsync("a");
        await using var b = await TestBackend.NamedAsync("b");
        await using var c = await TestBackend.NamedAsync("c");
        await using var router = await TestRouter.StartAsync(o => o.Balancing = BalancingPolicy.RoundRobin);
        router.Route(Routes.To("rr.test", "", "rr", a, b, c));
        using var client = router.Client();

        var answers = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            answers.Add(await client.GetStringAsync("http://rr.test/"));
        }

        Assert.Equal(10, answers.Count(x => x == "a"));
        Assert.Equal(10, answers.Count(x => x == "b"));
        Assert.Equal(10, answers.Count(x => x == "c"));
        Assert.Equal(["a", "b", "c", "a", "b", "c"], answers.Take(6));
    }

    [Fact]
    public async Task Least_requests_sends_new_requests_to_the_idle_backend_while_another_holds_a_slow_one()
    {
        var slowStarted = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        RequestDelegate Handler(string name) => async context =>
        {
            if (context.Request.Path == "/slow")
            {
                slowStarted.SetResult(name);
                await release.Task.WaitAsync(Patience);
            }
            await context.Response.WriteAsync(name);
        };
        await using var a = await TestBackend.StartAsync("a", Handler("a"));
        await using var b = await TestBackend.StartAsync("b", Handler("b"));
        await using var router = await TestRouter.StartAsync(o => o.Balancing = BalancingPolicy.LeastRequests);
        router.Route(Routes.To("lr.test", "", "lr", a, b));
        using var client = router.Client();

        var slow = client.GetStringAsync("http://lr.test/slow");
        var busy = await slowStarted.Task.WaitAsync(Patience);
        var answers = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            answers.Add(await client.GetStringAsync("http://lr.test/fast"));
        }
        var inFlight = router.Metrics.Snapshot().Backends.ToDictionary(x => x.InstanceId, x => x.InFlight);
        release.SetResult();

        Assert.Equal(busy, await slow);
        Assert.All(answers, answer => Assert.NotEqual(busy, answer));
        Assert.Equal(1, inFlight[$"{busy}-instance"]);
    }

    [Fact]
    public async Task Least_requests_shares_sequential_requests_among_idle_backends()
    {
        await using var a = await TestBackend.NamedAsync("a");
        await using var b = await TestBackend.NamedAsync("b");
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("idle.test", "", "idle", a, b));
        using var client = router.Client();

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("http://idle.test/")).StatusCode);
        }

        Assert.Equal(5, a.Requests);
        Assert.Equal(5, b.Requests);
    }
}
