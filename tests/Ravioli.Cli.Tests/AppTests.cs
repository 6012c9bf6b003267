using System.Net;
using System.Text.Json;
using Ravioli.Cli.Tests.Support;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests;

/// <summary>apps, app, start, stop, restart, delete and scale against the real API (stats, which needs the node, is faked where a test needs it).</summary>
public sealed class AppTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    private async Task<JsonElement> ApiAsync(string path)
    {
        using var admin = await server.AdminClientAsync();
        return (await admin.GetJsonAsync(path)).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Apps_ListStateProcessesSizesAndRoutes()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "web");
        await space.CreateAppAsync(server, "api");
        await rav.OkAsync("scale", "web", "-i", "2", "-m", "512M");
        await rav.OkAsync("map-route", "web", "apps.localhost", "--hostname", Names.Unique("web"));

        var result = await rav.OkAsync("apps");

        Assert.Contains($"Getting apps in org {space.Org} / space dev as admin...", result.Out);
        Assert.Matches(@"name\s+requested state\s+processes\s+memory\s+disk\s+routes", result.Out);
        Assert.Matches(@"(?m)^api\s+stopped\s+web:0/1\s+256M\s+1G\s*$", result.Out);
        Assert.Matches(@"(?m)^web\s+stopped\s+web:0/2\s+512M\s+1G\s+web-[0-9a-f]+\.apps\.localhost$", result.Out);
        Assert.Equal(["api", "web"], Screen.FirstColumn(result.Out, "name"));
    }

    [Fact]
    public async Task Apps_Json_IsTheArrayOfApps()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "one");

        var result = await rav.OkAsync("apps", "--json");

        Assert.Equal("one", Assert.Single(result.Json().EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Apps_InAnEmptySpace_SaysSo()
    {
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);

        Assert.Contains("No apps found.", (await rav.OkAsync("apps")).Out);
    }

    [Fact]
    public async Task App_ShowsHeaderAndEveryProcess()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var app = await space.CreateAppAsync(server, "shop");
        await Droplets.PlantAsync(server, app, processTypes: """{"web":"./server.sh","worker":"./work.sh"}""");
        var host = Names.Unique("shop");
        await rav.OkAsync("map-route", "shop", "apps.localhost", "--hostname", host, "--path", "/store");

        var result = await rav.OkAsync("app", "shop");

        Assert.Contains($"Showing health and status for app shop in org {space.Org} / space dev as admin...", result.Out);
        Assert.Matches(@"(?m)^name:\s+shop$", result.Out);
        Assert.Matches(@"(?m)^requested state:\s+stopped$", result.Out);
        Assert.Matches($@"(?m)^routes:\s+{host}\.apps\.localhost/store$", result.Out);
        Assert.Matches(@"(?m)^last uploaded:\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", result.Out);
        Assert.Matches(@"(?m)^buildpacks:\s+binary_buildpack$", result.Out);
        Assert.Matches(@"(?m)^type:\s+web\n(?:.*\n)*?instances:\s+0/1\nmemory usage:\s+256M\ndisk:\s+1G\nstart command:\s+\./server\.sh$", result.Out.ReplaceLineEndings("\n"));
        Assert.Matches(@"(?m)^type:\s+worker\n(?:.*\n)*?instances:\s+0/0$", result.Out.ReplaceLineEndings("\n"));
        Assert.Contains("There are no running instances of this process.", result.Out);
        Assert.True(result.Out.IndexOf("type:           web", StringComparison.Ordinal) < result.Out.IndexOf("worker", StringComparison.Ordinal));
    }

    [Fact]
    public async Task App_Json_HasTheAppItsProcessesRoutesAndDroplet()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var app = await space.CreateAppAsync(server, "shop");
        var droplet = await Droplets.PlantAsync(server, app);

        var json = (await rav.OkAsync("app", "shop", "--json")).Json();

        Assert.Equal(app, json.GetProperty("app").GetProperty("guid").GetString());
        Assert.Equal(droplet, json.GetProperty("current_droplet").GetProperty("guid").GetString());
        Assert.Equal("web", Assert.Single(json.GetProperty("processes").EnumerateArray()).GetProperty("type").GetString());
        Assert.Equal(0, json.GetProperty("routes").GetArrayLength());
    }

    [Fact]
    public async Task App_NeverPushed_SaysNeverUploaded()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "fresh");

        Assert.Matches(@"(?m)^last uploaded:\s+never$", (await rav.OkAsync("app", "fresh")).Out);
    }

    [Fact]
    public async Task App_ThatDoesNotExist_SaysWhereToLook()
    {
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);

        var result = await rav.RunAsync("app", "ghost");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("App 'ghost' not found in space 'dev'. Run 'rav apps'", result.Err);
        Assert.EndsWith("FAILED", result.Err.TrimEnd());
    }

    [Fact]
    public async Task AppCommands_WithoutATargetedSpace_SayHowToTargetOne()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();

        foreach (var command in new[] { "apps", "app", "start", "env", "routes", "push" })
        {
            var result = await rav.RunAsync(command == "apps" || command == "routes" ? [command] : [command, "x"]);

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("rav target -", result.Err);
        }
    }

    [Fact]
    public async Task Start_WithoutADroplet_SaysToPushFirst()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var app = await space.CreateAppAsync(server, "empty");

        var result = await rav.RunAsync("start", "empty");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("rav push", result.Err);
        Assert.EndsWith("FAILED", result.Err.TrimEnd());
        Assert.Equal("STOPPED", (await ApiAsync($"/v3/apps/{app}")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Start_WithADroplet_StartsTheApp_AndSaysWhenInstancesCannotBeSeen()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var app = await space.CreateAppAsync(server, "svc");
        await Droplets.PlantAsync(server, app);

        var result = await rav.OkAsync("start", "svc");

        Assert.Contains($"Starting app svc in org {space.Org} / space dev as admin...", result.Out);
        Assert.Matches(@"(?m)^requested state:\s+started$", result.Out);
        Assert.Contains("Cannot see whether the instances of svc are running", result.Err);
        Assert.Equal("STARTED", (await ApiAsync($"/v3/apps/{app}")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Start_WaitsForRunningInstances_AndShowsThem()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        var app = await space.CreateAppAsync(server, "svc");
        await Droplets.PlantAsync(server, app);
        await rav.OkAsync("scale", "svc", "-i", "2");

        var result = await rav.OkAsync("start", "svc");

        Assert.Contains("Waiting for app svc to start...", result.Out);
        Assert.Contains("2 of 2 instances running", result.Out);
        Assert.Matches(@"(?m)^instances:\s+2/2$", result.Out);
        Assert.Matches(@"(?m)^\s+state\s+since\s+cpu\s+memory\s+disk\s+details$", result.Out);
        Assert.Matches(@"(?m)^#0\s+running\s+2026-11-21T20:00:00Z\s+0\.3%\s+30M of 256M\s+5M of 1G$", result.Out);
        Assert.Matches(@"(?m)^#1\s+running", result.Out);
        Assert.Empty(result.Err);
    }

    [Fact]
    public async Task Start_WhenAnInstanceCrashes_FailsWithItsReason()
    {
        var staging = new FakeStaging(server) { InstanceState = "CRASHED", CrashDetails = "out of memory" };
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        await Droplets.PlantAsync(server, await space.CreateAppAsync(server, "oom"));

        var result = await rav.RunAsync("start", "oom");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("0 of 1 instances running, 1 crashed", result.Out);
        Assert.Contains("App oom crashed: instance #0: out of memory. TIP: use 'rav logs oom --recent' for more information.", result.Err);
        Assert.EndsWith("FAILED", result.Err.TrimEnd());
    }

    [Fact]
    public async Task Start_WhenInstancesNeverBecomeHealthy_TimesOut()
    {
        var staging = new FakeStaging(server) { InstanceState = "STARTING" };
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        var app = await space.CreateAppAsync(server, "slow");
        await Droplets.PlantAsync(server, app);
        using (var admin = await server.AdminClientAsync())
        {
            (await admin.PatchJsonAsync($"/v3/processes/{app}", new { health_check = new { data = new { timeout = 1 } } })).Expect(HttpStatusCode.OK);
        }

        var result = await rav.RunAsync("start", "slow");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("0 of 1 instances running, 1 starting", result.Out);
        Assert.Contains("Start app timeout. TIP: use 'rav logs slow --recent' for more information.", result.Err);
    }

    [Fact]
    public async Task Start_AnAppAlreadyStarted_SaysSo()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await Droplets.PlantAsync(server, await space.CreateAppAsync(server, "svc"));
        await rav.OkAsync("start", "svc");

        var again = await rav.OkAsync("start", "svc");

        Assert.Contains("App svc is already started.", again.Err);
    }

    [Fact]
    public async Task Stop_StopsAStartedApp_AndAgainSaysItIsStopped()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var app = await space.CreateAppAsync(server, "svc");
        await Droplets.PlantAsync(server, app);
        await rav.OkAsync("start", "svc");

        var stopped = await rav.OkAsync("stop", "svc");
        var again = await rav.OkAsync("stop", "svc");

        Assert.Contains($"Stopping app svc in org {space.Org} / space dev as admin...", stopped.Out);
        Assert.Contains("OK", stopped.Out);
        Assert.Equal("STOPPED", (await ApiAsync($"/v3/apps/{app}")).GetProperty("state").GetString());
        Assert.Contains("App svc is already stopped.", again.Err);
    }

    [Fact]
    public async Task Restart_RollsTheAppAndWaits()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        var app = await space.CreateAppAsync(server, "svc");
        await Droplets.PlantAsync(server, app);
        await rav.OkAsync("start", "svc");

        var result = await rav.OkAsync("restart", "svc");

        Assert.Contains($"Restarting app svc in org {space.Org} / space dev as admin...", result.Out);
        Assert.Contains("1 of 1 instances running", result.Out);
        Assert.Contains($"POST /v3/apps/{app}/actions/restart", staging.Handler.Requests);
        var events = await ApiAsync($"/v3/audit_events?target_guids={app}&types=audit.app.restart");
        Assert.Equal(1, events.GetProperty("pagination").GetProperty("total_results").GetInt32());
    }

    [Fact]
    public async Task Restage_WithoutAnUploadedPackage_SaysToPush()
    {
        var staging = new FakeStaging(server);
        staging.Handler.On(HttpMethod.Get, "/v3/apps/[^/]+/packages", (_, _) => FakeEndpoints.Json(HttpStatusCode.OK, """{"pagination":{"next":null},"resources":[]}"""));
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "svc");

        var result = await rav.RunAsync("restage", "svc");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("App svc has no uploaded package to stage. Push it first with 'rav push svc'.", result.Err);
    }

    [Fact]
    public async Task Delete_RemovesTheApp_AndWithRTheRoutesOnlyItUsed()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "doomed");
        await space.CreateAppAsync(server, "other");
        var own = Names.Unique("own");
        var shared = Names.Unique("shared");
        await rav.OkAsync("map-route", "doomed", "apps.localhost", "--hostname", own);
        await rav.OkAsync("map-route", "doomed", "apps.localhost", "--hostname", shared);
        await rav.OkAsync("map-route", "other", "apps.localhost", "--hostname", shared);

        var result = await rav.OkAsync("delete", "doomed", "-f", "-r");

        Assert.Contains($"Deleting app doomed in org {space.Org} / space dev as admin...", result.Out);
        Assert.Contains($"Route {shared}.apps.localhost is also mapped to other apps; kept.", result.Err);
        var apps = Screen.FirstColumn((await rav.OkAsync("apps")).Out, "name");
        Assert.Equal(["other"], apps);
        var routes = (await rav.OkAsync("routes")).Out;
        Assert.DoesNotContain(own, routes);
        Assert.Contains(shared, routes);
    }

    [Fact]
    public async Task Delete_WithoutR_KeepsTheRoutes_AndWithoutForceRefusesInScripts()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "doomed");
        var host = Names.Unique("keep");
        await rav.OkAsync("map-route", "doomed", "apps.localhost", "--hostname", host);

        var refused = await rav.RunAsync("delete", "doomed");
        await rav.OkAsync("delete", "doomed", "-f");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("Re-run with -f to confirm.", refused.Err);
        Assert.Contains(host, (await rav.OkAsync("routes")).Out);
        Assert.Contains("No apps found.", (await rav.OkAsync("apps")).Out);
    }

    [Fact]
    public async Task Delete_AnAppThatDoesNotExist_SucceedsSayingSo()
    {
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);

        Assert.Contains("App ghost does not exist.", (await rav.OkAsync("delete", "ghost", "-f")).Err);
    }

    [Fact]
    public async Task Scale_ChangesInstancesMemoryAndDisk_AndShowsTheResult()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var app = await space.CreateAppAsync(server, "svc");

        var result = await rav.OkAsync("scale", "svc", "-i", "3", "-m", "512M", "-k", "2G");

        Assert.Contains($"Scaling app svc in org {space.Org} / space dev as admin...", result.Out);
        Assert.Matches(@"(?m)^instances:\s+0/3$", result.Out);
        Assert.Matches(@"(?m)^memory usage:\s+512M$", result.Out);
        Assert.Matches(@"(?m)^disk:\s+2G$", result.Out);
        var web = await ApiAsync($"/v3/apps/{app}/processes/web");
        Assert.Equal((3, 512, 2048), (web.GetProperty("instances").GetInt32(), web.GetProperty("memory_in_mb").GetInt32(), web.GetProperty("disk_in_mb").GetInt32()));
    }

    [Fact]
    public async Task Scale_WithoutFlags_ShowsTheCurrentScale()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "svc");

        var result = await rav.OkAsync("scale", "svc");

        Assert.Contains("Showing current scale of app svc", result.Out);
        Assert.Matches(@"(?m)^instances:\s+0/1$", result.Out);
    }

    [Theory]
    [InlineData(new[] { "-i", "two" }, "Invalid number 'two' for --instances (-i). Use a whole number of at least 0.")]
    [InlineData(new[] { "-i", "-1" }, "Invalid number '-1' for --instances (-i)")]
    [InlineData(new[] { "-m", "lots" }, "Invalid size 'lots' for --memory (-m). Use a size such as 256M or 1G")]
    [InlineData(new[] { "-k", "0" }, "Invalid size '0' for --disk (-k)")]
    [InlineData(new[] { "-i", "5000" }, "instances: must be from 0 to 1000")]
    [InlineData(new[] { "-m", "1T" }, "memory_in_mb: must be from 1 to 65536")]
    public async Task Scale_InvalidValues_FailNamingThem_AndChangeNothing(string[] flags, string message)
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var app = await space.CreateAppAsync(server, "svc");

        var result = await rav.RunAsync(["scale", "svc", .. flags]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Err);
        Assert.Equal(1, (await ApiAsync($"/v3/apps/{app}/processes/web")).GetProperty("instances").GetInt32());
    }

    [Fact]
    public async Task Scale_AProcessTypeTheAppDoesNotHave_SaysSo()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "svc");

        var result = await rav.RunAsync("scale", "svc", "--process", "worker", "-i", "1");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("has no 'worker' process", result.Err);
    }

    [Fact]
    public async Task Scale_BeyondTheOrgQuota_FailsWithTheQuotasReason()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var quota = Names.Unique("tiny");
        await rav.OkAsync("create-quota", quota, "-i", "128M");
        await rav.OkAsync("set-quota", space.Org, quota);
        await Droplets.PlantAsync(server, await space.CreateAppAsync(server, "svc"));
        await rav.OkAsync("scale", "svc", "-m", "128M");
        await rav.OkAsync("start", "svc");

        var result = await rav.RunAsync("scale", "svc", "-m", "256M");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(quota, result.Err);
    }
}
