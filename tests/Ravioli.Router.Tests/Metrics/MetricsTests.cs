using Microsoft.AspNetCore.Http;
using Ravioli.Router.Configuration;
using Ravioli.Router.Metrics;
using Ravioli.Router.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Router.Tests.Metrics;

public sealed class MetricsTests
{
    [Fact]
    public async Task Requests_are_counted_per_app_by_status_class_with_a_latency_histogram()
    {
        await using var backend = await TestBackend.StartAsync("m", context =>
        {
            context.Response.StatusCode = int.Parse(context.Request.Query["status"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        });
        await using var other = await TestBackend.NamedAsync("other");
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("m.test", "", "metered", backend), Routes.To("o.test", "", "other", other));
        using var client = router.Client();

        int[] statuses = [200, 200, 201, 204, 302, 404, 404, 418, 500, 503];
        foreach (var status in statuses)
        {
            using var response = await client.GetAsync($"http://m.test/?status={status}");
            Assert.Equal(status, (int)response.StatusCode);
        }
        await client.GetStringAsync("http://o.test/");
        await client.GetAsync("http://unknown.test/");

        var app = await Eventually.ValueAsync(() => router.Metrics.Snapshot("guid-metered") is { Requests: 10 } s ? s : null);
        Assert.Equal("metered", app.AppName);
        Assert.Equal(0, app.Status1xx);
        Assert.Equal(4, app.Status2xx);
        Assert.Equal(1, app.Status3xx);
        Assert.Equal(3, app.Status4xx);
        Assert.Equal(2, app.Status5xx);
        Assert.Equal(10, app.Latency.Sum(b => b.Count));
        Assert.Equal([1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, double.PositiveInfinity], app.Latency.Select(b => b.UpperBoundMs));
        Assert.True(app.TotalLatency > TimeSpan.Zero);

        var all = await Eventually.ValueAsync(() => router.Metrics.Snapshot() is { UnroutedRequests: 1 } s && s.Apps.Count == 2 ? s : null);
        Assert.Equal(1, all.Apps.Single(a => a.AppGuid == "guid-other").Status2xx);
        Assert.All(all.Backends, b => Assert.Equal(0, b.InFlight));
    }

    [Fact]
    public async Task Counters_survive_table_updates_and_removal_of_the_app()
    {
        await using var backend = await TestBackend.NamedAsync("keep");
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("keep.test", "", "keep", backend));
        using var client = router.Client();
        await client.GetStringAsync("http://keep.test/");
        await Eventually.TrueAsync(() => router.Metrics.Snapshot("guid-keep")?.Requests == 1);

        router.Route(new Route("keep.test", "", "guid-keep", "renamed", "web", [backend.AsBackend()]));
        await client.GetStringAsync("http://keep.test/");
        router.Route();

        var app = await Eventually.ValueAsync(() => router.Metrics.Snapshot("guid-keep") is { Requests: 2 } s ? s : null);
        Assert.Equal("renamed", app.AppName);
        Assert.Empty(router.Metrics.Snapshot().Backends);
    }

    [Fact]
    public void A_latency_lands_in_the_first_bucket_whose_bound_it_does_not_exceed()
    {
        var counters = new AppCounters("g", "n");
        var ms = System.Diagnostics.Stopwatch.Frequency / 1000;

        counters.Record(200, 0);
        counters.Record(200, ms);
        counters.Record(200, ms + 1);
        counters.Record(200, 7 * ms);
        counters.Record(200, 60_000 * ms);

        var buckets = counters.Snapshot().Latency;
        Assert.Equal(2, buckets[0].Count);
        Assert.Equal(1, buckets[1].Count);
        Assert.Equal(1, buckets[3].Count);
        Assert.Equal(1, buckets[^1].Count);
    }
}
