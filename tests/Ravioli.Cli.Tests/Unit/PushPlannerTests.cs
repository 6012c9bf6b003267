using Ravioli.Cli.Commands.Push;
using Ravioli.Cli.Manifests;

namespace Ravioli.Cli.Tests.Unit;

public sealed class PushPlannerTests
{
    private const string Here = "/home/dev/work";

    private static readonly Manifest Shop = ManifestReader.Parse(
        """
        applications:
        - name: api
          path: services/api
          memory: 256M
          instances: 2
          buildpacks: [nodejs_buildpack]
          env: {GREETING: hello}
          routes:
          - route: api.apps.localhost
          processes:
          - type: web
            instances: 4
            disk_quota: 2G
            health-check-type: http
          - type: worker
            instances: 1
          services: [db]
        - name: web
          random-route: true
        """.ReplaceLineEndings("\n"),
        "/repo/shop/manifest.yml");

    [Fact]
    public void Plan_WithoutManifestOrName_AsksForAName()
    {
        var error = Assert.Throws<CliException>(() => PushPlanner.Plan(null, new PushFlags(), Here));

        Assert.Contains("rav push needs an app name", error.Message);
    }

    [Fact]
    public void Plan_WithoutManifest_PushesTheWorkingDirectoryWithTheFlags()
    {
        var flags = new PushFlags { Name = "hello", Buildpacks = ["go_buildpack"], Web = new ProcessSettings { Instances = 3 }, NoStart = true };

        var plan = Assert.Single(PushPlanner.Plan(null, flags, Here));

        Assert.Equal(("hello", Here, 3, true), (plan.Name, plan.Source, plan.Web.Instances, plan.NoStart));
        Assert.Equal(["go_buildpack"], plan.Buildpacks);
        Assert.Null(plan.Routes);
    }

    [Fact]
    public void Plan_Manifest_PushesEveryAppInOrder_WithPathsFromTheManifestsDirectory()
    {
        var plans = PushPlanner.Plan(Shop, new PushFlags(), Here);

        Assert.Equal(["api", "web"], plans.Select(p => p.Name));
        Assert.Equal(["/repo/shop/services/api", "/repo/shop"], plans.Select(p => p.Source));
        Assert.Equal([false, true], plans.Select(p => p.RandomRoute));
        Assert.Equal(["db"], plans[0].Services.Select(s => s.Name));
    }

    [Fact]
    public void Plan_WebSettings_LayerProcessEntryThenAppKeysThenFlags()
    {
        var flags = new PushFlags { Name = "api", Web = new ProcessSettings { MemoryMb = 1024, Command = "node fast.js" } };

        var plan = Assert.Single(PushPlanner.Plan(Shop, flags, Here));

        // instances: the app-level 2 beats the processes entry's 4; memory: the flag beats the manifest.
        Assert.Equal(new ProcessSettings { Instances = 2, MemoryMb = 1024, DiskMb = 2048, HealthCheckType = "http", Command = "node fast.js" }, plan.Web);
        Assert.Equal(["worker"], plan.OtherProcesses.Select(p => p.Type));
        Assert.Equal(["nodejs_buildpack"], plan.Buildpacks);
        Assert.Equal("hello", plan.Env["GREETING"]);
        Assert.Equal(["api.apps.localhost"], plan.Routes);
    }

    [Fact]
    public void Plan_FlagsOverrideTheManifest_ForTheNamedApp()
    {
        var flags = new PushFlags { Name = "api", Path = "dist", Buildpacks = [], NoRoute = true };

        var plan = Assert.Single(PushPlanner.Plan(Shop, flags, Here));

        Assert.Equal($"{Here}/dist", plan.Source);
        Assert.Empty(plan.Buildpacks!);
        Assert.True(plan.NoRoute);
    }

    [Fact]
    public void Plan_NameNotInManifest_SaysWhichAppsItLists()
    {
        var error = Assert.Throws<CliException>(() => PushPlanner.Plan(Shop, new PushFlags { Name = "nope" }, Here));

        Assert.Contains("App 'nope' is not in /repo/shop/manifest.yml (it lists api, web)", error.Message);
    }

    [Theory]
    [InlineData("-i")]
    [InlineData("-m")]
    [InlineData("-p")]
    [InlineData("-b")]
    [InlineData("--random-route")]
    [InlineData("--no-route")]
    public void Plan_FlagsThatChangeAnApp_WithSeveralAppsAndNoName_AreRefused(string flag)
    {
        var flags = flag switch
        {
            "-i" => new PushFlags { Web = new ProcessSettings { Instances = 1 } },
            "-m" => new PushFlags { Web = new ProcessSettings { MemoryMb = 64 } },
            "-p" => new PushFlags { Path = "x" },
            "-b" => new PushFlags { Buildpacks = ["b"] },
            "--random-route" => new PushFlags { RandomRoute = true },
            _ => new PushFlags { NoRoute = true },
        };

        var error = Assert.Throws<CliException>(() => PushPlanner.Plan(Shop, flags, Here));

        Assert.Contains("lists 2 apps", error.Message);
    }

    [Fact]
    public void Plan_NoStart_AppliesToEveryApp()
        => Assert.All(PushPlanner.Plan(Shop, new PushFlags { NoStart = true }, Here), p => Assert.True(p.NoStart));
}
