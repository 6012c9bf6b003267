using Ravioli.Cli.Tests.Support;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests;

public sealed class DropletTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    [Fact]
    public async Task Droplets_ListNewestFirst_MarkingTheCurrentOne()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var app = await space.CreateAppAsync(server, "svc");
        var first = await Droplets.PlantAsync(server, app, buildpack: "python_buildpack");
        var second = await Droplets.PlantAsync(server, app, makeCurrent: false, buildpack: "nodejs_buildpack");

        var result = await rav.OkAsync("droplets", "svc");

        Assert.Contains($"Getting droplets of app svc in org {space.Org} / space dev as admin...", result.Out);
        Assert.Matches(@"guid\s+state\s+created\s+buildpack", result.Out);
        Assert.Equal([second, first], Screen.FirstColumn(result.Out, "guid"));
        Assert.Matches($@"(?m)^{first}\s+staged \(current\)\s+\S+Z\s+python_buildpack$", result.Out);
        Assert.Matches($@"(?m)^{second}\s+staged\s+\S+Z\s+nodejs_buildpack$", result.Out);
    }

    [Fact]
    public async Task SetDroplet_MakesAnotherDropletCurrent()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var app = await space.CreateAppAsync(server, "svc");
        var first = await Droplets.PlantAsync(server, app);
        await Droplets.PlantAsync(server, app);

        var result = await rav.OkAsync("set-droplet", "svc", first);
        var listed = await rav.OkAsync("droplets", "svc");

        Assert.Contains($"Setting app svc to droplet {first} in org {space.Org} / space dev as admin...", result.Out);
        Assert.Contains("TIP: Use 'rav restart svc' to run the droplet.", result.Out);
        Assert.Matches($@"(?m)^{first}\s+staged \(current\)", listed.Out);
    }

    [Fact]
    public async Task SetDroplet_ThatIsNotTheApps_FailsPointingAtDroplets()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "svc");
        var someoneElses = await Droplets.PlantAsync(server, await space.CreateAppAsync(server, "other"));

        var unknown = await rav.RunAsync("set-droplet", "svc", Guid.NewGuid().ToString());
        var foreign = await rav.RunAsync("set-droplet", "svc", someoneElses);

        foreach (var result in new[] { unknown, foreign })
        {
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("must name a droplet of this app", result.Err);
            Assert.Contains("Run 'rav droplets svc'", result.Err);
            Assert.EndsWith("FAILED", result.Err.TrimEnd());
        }
    }

    [Fact]
    public async Task Droplets_OfAnAppNeverStaged_SaysHowToGetOne()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "svc");

        Assert.Contains("No droplets found. Run 'rav push svc'", (await rav.OkAsync("droplets", "svc")).Out);
    }

    [Fact]
    public async Task SetDroplet_ForAMissingApp_SaysSo()
    {
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);

        var result = await rav.RunAsync("set-droplet", "ghost", Guid.NewGuid().ToString());

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("App 'ghost' not found", result.Err);
    }
}
