using Microsoft.Extensions.Options;
using Ravioli.Router.Configuration;
using Ravioli.Router.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Router.Tests.Configuration;

public sealed class RouterOptionsTests
{
    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var options = new RouterOptions();

        Assert.Equal(BalancingPolicy.LeastRequests, options.Balancing);
        Assert.Equal(TimeSpan.FromSeconds(120), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ConnectTimeout);
        Assert.Equal(2, options.MaxRetries);
        Assert.Equal(1L << 30, options.MaxRequestBodySize);
        Assert.True(options.TrustForwardedHeaders);
    }

    [Fact]
    public async Task Invalid_options_stop_the_router_from_starting()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestRouter.StartAsync(o =>
        {
            o.MaxRetries = -1;
            o.RequestTimeout = TimeSpan.Zero;
        }));

        Assert.Contains(nameof(RouterOptions.MaxRetries), error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(RouterOptions.RequestTimeout), error.Message, StringComparison.Ordinal);
    }
}
