using System.Net;
using Microsoft.AspNetCore.Http;
using Ravioli.Router.Configuration;
using Ravioli.Router.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Router.Tests.Routing;

public sealed class RoutingTests
{
    [Fact]
    public async Task Requests_are_routed_by_host_case_insensitively_and_without_the_port()
    {
        await using var a = await TestBackend.NamedAsync("a");
        await using var b = await TestBackend.NamedAsync("b");
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("a.apps.test", "", "app-a", a), Routes.To("B.Apps.Test", "", "app-b", b));
        using var client = router.Client();

        Assert.Equal("a", await client.GetStringAsync("http://a.apps.test/"));
        Assert.Equal("b", await client.GetStringAsync("http://b.apps.test:8081/x"));
        Assert.Equal("a", await client.GetStringAsync("http://A.APPS.TEST./"));
    }

    [Fact]
    public async Task The_longest_path_prefix_wins_and_matches_only_at_segment_boundaries()
    {
        await using var root = await TestBackend.StartAsync("root", c => c.Response.WriteAsync("root " + c.Request.Path));
        await using var api = await TestBackend.StartAsync("api", c => c.Response.WriteAsync("api " + c.Request.Path));
        await using var v2 = await TestBackend.StartAsync("v2", c => c.Response.WriteAsync("v2 " + c.Request.Path));
        await using var router = await TestRouter.StartAsync();
        router.Route(
            Routes.To("shop.test", "", "root", root),
            Routes.To("shop.test", "/api", "api", api),
            Routes.To("shop.test", "/api/v2/", "v2", v2));
        using var client = router.Client();

        Assert.Equal("root /", await client.GetStringAsync("http://shop.test/"));
        Assert.Equal("api /api", await client.GetStringAsync("http://shop.test/api"));
        Assert.Equal("api /api/", await client.GetStringAsync("http://shop.test/api/"));
        Assert.Equal("api /api/orders", await client.GetStringAsync("http://shop.test/api/orders?x=1"));
        Assert.Equal("root /apix", await client.GetStringAsync("http://shop.test/apix"));
        Assert.Equal("v2 /api/v2/items", await client.GetStringAsync("http://shop.test/api/v2/items"));
        Assert.Equal("v2 /API/V2", await client.GetStringAsync("http://shop.test/API/V2"));
        Assert.Equal("api /api/v20", await client.GetStringAsync("http://shop.test/api/v20"));
    }

    [Fact]
    public async Task The_request_target_reaches_the_app_as_the_client_encoded_it()
    {
        await using var raw = await TestBackend.StartAsync("raw", c =>
            c.Response.WriteAsync(c.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!.RawTarget));
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("raw.test", "/files", "raw", raw));
        using var client = router.Client();

        Assert.Equal("/files/a%2Fb%20c?q=1%202&r=%C3%A9", await client.GetStringAsync("http://raw.test/files/a%2Fb%20c?q=1%202&r=%C3%A9"));
    }

    [Fact]
    public async Task A_path_route_alone_leaves_other_paths_of_its_host_unrouted()
    {
        await using var api = await TestBackend.NamedAsync("api");
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("only-api.test", "/api", "api", api));
        using var client = router.Client();

        Assert.Equal("api", await client.GetStringAsync("http://only-api.test/api/x"));
        using var response = await client.GetAsync("http://only-api.test/other");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_wildcard_route_serves_subdomains_without_a_route_of_their_own()
    {
        await using var wild = await TestBackend.NamedAsync("wild");
        await using var exact = await TestBackend.NamedAsync("exact");
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("*.wild.test", "", "wild", wild), Routes.To("www.wild.test", "", "exact", exact));
        using var client = router.Client();

        Assert.Equal("wild", await client.GetStringAsync("http://anything.wild.test/"));
        Assert.Equal("exact", await client.GetStringAsync("http://www.wild.test/"));
        using var response = await client.GetAsync("http://wild.test/");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task An_unknown_host_gets_404_with_an_explanation()
    {
        await using var router = await TestRouter.StartAsync();
        using var client = router.Client();

        using var response = await client.GetAsync("http://nowhere.test:8081/page");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Contains("No app is mapped to host 'nowhere.test'.", body, StringComparison.Ordinal);
        Assert.Contains("rav map-route", body, StringComparison.Ordinal);
        Assert.Equal("unknown_route", response.Headers.GetValues("X-Cf-RouterError").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        await Eventually.TrueAsync(() => router.Metrics.Snapshot().UnroutedRequests == 1);
    }

    [Fact]
    public async Task A_route_without_running_instances_gets_503_naming_the_app()
    {
        await using var router = await TestRouter.StartAsync();
        router.Route(new Route("idle.test", "", "guid-idle", "idle-app", "web", []));
        using var client = router.Client();

        using var response = await client.GetAsync("http://idle.test/");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("App 'idle-app' has no running instances", body, StringComparison.Ordinal);
        Assert.Equal("no_endpoints", response.Headers.GetValues("X-Cf-RouterError").Single());
        var entry = await router.AccessLog.WaitForAsync(e => e.Host == "idle.test");
        Assert.Equal(503, entry.Status);
        Assert.Equal("guid-idle", entry.AppGuid);
    }

    [Fact]
    public async Task An_invalid_table_is_rejected_and_the_current_one_stays()
    {
        await using var a = await TestBackend.NamedAsync("a");
        await using var router = await TestRouter.StartAsync();
        router.Route(Routes.To("keep.test", "", "keep", a));

        var bad = new Route("bad host!", "", "guid-x", "x", "web", []);
        var error = Assert.Throws<ArgumentException>(() => router.Route(Routes.To("keep.test", "", "keep", a), bad));
        Assert.Contains("bad host!", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => router.Route(new Route("p.test", "no-slash", "guid-x", "x", "web", [])));
        Assert.Throws<ArgumentException>(() => router.Route(new Route("p.test", "", "guid-x", "x", "web", [new Backend("i", 0, "127.0.0.1")])));

        Assert.Equal(1, router.Store.Version);
        using var client = router.Client();
        Assert.Equal("a", await client.GetStringAsync("http://keep.test/"));
    }
}
