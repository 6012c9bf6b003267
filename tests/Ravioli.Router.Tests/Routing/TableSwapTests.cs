using System.Net;
using Microsoft.AspNetCore.Http;
using Ravioli.Router.Configuration;
using Ravioli.Router.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Router.Tests.Routing;

public sealed class TableSwapTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Requests_running_through_fifty_table_swaps_all_succeed()
    {
        await using var a = await TestBackend.NamedAsync("a");
        await using var b = await TestBackend.NamedAsync("b");
        await using var router = await TestRouter.StartAsync();
        Route[][] tables =
        [
            [Routes.To("swap.test", "", "swap", a)],
            [Routes.To("swap.test", "", "swap", b)],
            [Routes.To("swap.test", "", "swap", a, b), Routes.To("other.test", "", "other", b)],
        ];
        router.Route(tables[0]);
        using var client = router.Client();
        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        var succeeded = 0;

        async Task LoopAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.GetAsync("http://swap.test/");
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.OK || body is not ("a" or "b"))
                {
                    lock (failures)
                    {
                        failures.Add($"{(int)response.StatusCode} {body}");
                    }
                }
                Interlocked.Increment(ref succeeded);
            }
        }

        var loops = Enumerable.Range(0, 4).Select(_ => Task.Run(LoopAsync)).ToArray();
        for (var i = 1; i <= 50; i++)
        {
            router.Route(tables[i % tables.Length]);
            await Task.Delay(5);
        }
        await Eventually.TrueAsync(() => Volatile.Read(ref succeeded) >= 100);
        await stop.CancelAsync();
        await Task.WhenAll(loops).WaitAsync(Patience);

        Assert.Empty(failures);
        Assert.Equal(51, router.Store.Version);
    }

    [Fact]
    public async Task A_request_in_flight_to_a_removed_backend_completes()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var old = await TestBackend.StartAsync("old", async context =>
        {
            started.SetResult();
            await release.Task.WaitAsync(Patience);
            await context.Response.WriteAsync("finished by old");
        });
        await using var replacement = await TestBackend.NamedAsync("new");
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("drain.test", "", "drain", old));
        using var client = router.Client();

        var inFlight = client.GetAsync("http://drain.test/");
        await started.Task.WaitAsync(Patience);
        router.Route(Routes.To("drain.test", "", "drain", replacement));
        Assert.Equal("new", await client.GetStringAsync("http://drain.test/"));
        release.SetResult();

        using var response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("finished by old", await response.Content.ReadAsStringAsync());
    }
}
