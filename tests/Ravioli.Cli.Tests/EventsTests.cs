using Ravioli.Cli.Tests.Support;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests;

public sealed class EventsTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    [Fact]
    public async Task Events_ForAnOrg_ShowTheWritesWithActorAndTarget()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        var space = Names.Unique("space");
        await rav.OkAsync("create-org", org);
        await rav.OkAsync("create-space", space, "-o", org);

        var result = await rav.OkAsync("events", "--org", org);

        Assert.Contains($"Getting events in org {org} as admin...", result.Out);
        Assert.Matches(@"time\s+event\s+actor\s+target", result.Out);
        Assert.Matches($@"audit\.space\.create\s+admin\s+space {space}", result.Out);
    }

    [Fact]
    public async Task Events_DefaultToTheTargetedSpace()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        await rav.OkAsync("create-org", org);
        await rav.OkAsync("create-space", "first", "-o", org);
        await rav.OkAsync("create-space", "second", "-o", org);
        await rav.OkAsync("target", "-o", org, "-s", "second");
        await rav.OkAsync("set-space-role", "admin", org, "second", "SpaceAuditor");

        var result = await rav.OkAsync("events");

        Assert.Contains($"in org {org} / space second", result.Out);
        Assert.Matches(@"audit\.user\.space_auditor_add\s+admin\s+user admin", result.Out);
        Assert.Matches(@"audit\.space\.create\s+admin\s+space second", result.Out);
        Assert.DoesNotContain("space first", result.Out);
    }

    [Fact]
    public async Task Events_ForAnApp_ShowOnlyThatAppsEvents()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "svc");
        await space.CreateAppAsync(server, "other");
        await rav.OkAsync("set-env", "svc", "A", "1");
        await rav.OkAsync("scale", "svc", "-i", "2");
        await rav.OkAsync("scale", "other", "-i", "2");

        var result = await rav.OkAsync("events", "svc");

        Assert.Contains($"Getting events for app svc in org {space.Org} / space dev as admin...", result.Out);
        Assert.Matches(@"audit\.app\.create\s+admin\s+app svc", result.Out);
        Assert.Matches(@"audit\.app\.update\s+admin\s+app svc", result.Out);
        Assert.Matches(@"audit\.app\.process\.scale\s+admin\s+process svc/web", result.Out);
        Assert.DoesNotContain("other", result.Out);
    }

    [Fact]
    public async Task Events_ForAMissingApp_OrWithOrgToo_Fail()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);

        var missing = await rav.RunAsync("events", "ghost");
        var both = await rav.RunAsync("events", "ghost", "--org", space.Org);

        Assert.Contains("App 'ghost' not found", missing.Err);
        Assert.Contains("not both", both.Err);
    }

    [Fact]
    public async Task Events_FilteredByType_ListOnlyThatType()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        await rav.OkAsync("create-org", org);
        await rav.OkAsync("create-space", "a", "-o", org);
        await rav.OkAsync("create-space", "b", "-o", org);

        var result = await rav.OkAsync("events", "--org", org, "--type", "audit.space.create", "--json");

        var types = result.Json().EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal(["audit.space.create", "audit.space.create"], types);
    }
}
