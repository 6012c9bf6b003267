using Ravioli.Router.Configuration;
using Ravioli.Router.Metrics;
using Ravioli.Router.Routing;
using Xunit;

namespace Ravioli.Router.Tests.Routing;

public sealed class RouteTableTests
{
    [Theory]
    [InlineData("app.test", "app.test")]
    [InlineData("app.test:8081", "app.test")]
    [InlineData("app.test.", "app.test")]
    [InlineData("[::1]:8080", "[::1]")]
    [InlineData("[::1]", "[::1]")]
    [InlineData("127.0.0.1:80", "127.0.0.1")]
    [InlineData("", "")]
    public void WithoutPort_strips_the_port_and_a_trailing_dot(string header, string expected) =>
        Assert.Equal(expected, HostName.WithoutPort(header).ToString());

    [Fact]
    public void Routes_of_one_host_and_path_share_one_pool_of_backends()
    {
        var store = new RouteTableStore(new RouterMetrics());
        store.Update(new RouteTable(
        [
            new Route("blue-green.test", "/", "guid-blue", "blue", "web", [new Backend("b0", 0, "127.0.0.1:10001")]),
            new Route("Blue-Green.test", "", "guid-green", "green", "web", [new Backend("g0", 0, "127.0.0.1:10002")]),
        ]));

        var route = store.Compiled.Match("blue-green.test", "/x");

        Assert.NotNull(route);
        Assert.Equal(["guid-blue", "guid-green"], route.Backends.Select(b => b.App.Guid));
    }

    [Fact]
    public void Backend_load_carries_over_to_the_next_table_for_the_same_instance()
    {
        var store = new RouteTableStore(new RouterMetrics());
        var backend = new Backend("i0", 0, "127.0.0.1:10001");
        store.Update(new RouteTable([new Route("a.test", "", "guid-a", "a", "web", [backend])]));
        var before = store.Compiled.Match("a.test", "/")!.Backends[0];
        before.Load.Enter();

        store.Update(new RouteTable([new Route("a.test", "", "guid-a", "a", "web", [backend, new Backend("i1", 1, "127.0.0.1:10002")])]));
        var after = store.Compiled.Match("a.test", "/")!.Backends[0];

        Assert.NotSame(before, after);
        Assert.Same(before.Load, after.Load);
        Assert.Equal(1, after.Load.InFlight);
        Assert.Equal(2, store.Version);
    }
}
