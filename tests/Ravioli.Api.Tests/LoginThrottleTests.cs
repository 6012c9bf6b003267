using Microsoft.Extensions.Options;
using Ravioli.Api.Auth;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests;

public sealed class LoginThrottleTests
{
    [Fact]
    public void Guessing_across_many_usernames_does_not_grow_the_throttle_without_bound()
    {
        var time = new ManualTimeProvider();
        var throttle = new LoginThrottle(Options.Create(new RavioliApiOptions()), time);
        for (var i = 0; i < 10_001; i++)
        {
            throttle.Failed("guess-" + i);
        }
        Assert.Equal(10_001, throttle.TrackedUsernames);

        time.Advance(TimeSpan.FromMinutes(6));
        throttle.Failed("one-more");
        Assert.Equal(1, throttle.TrackedUsernames);
    }

    [Fact]
    public void A_locked_username_is_kept_while_its_lockout_lasts()
    {
        var time = new ManualTimeProvider();
        var throttle = new LoginThrottle(Options.Create(new RavioliApiOptions()), time);
        for (var i = 0; i < 5; i++)
        {
            throttle.Failed("victim");
        }
        for (var i = 0; i < 10_001; i++)
        {
            throttle.Failed("noise-" + i);
        }
        time.Advance(TimeSpan.FromSeconds(10));
        throttle.Failed("trigger");
        Assert.NotNull(throttle.RetryAfter("victim"));
    }
}
