using Ravioli.Staging.Buildpacks;
using Ravioli.Staging.Droplets;
using Ravioli.Staging.Files;
using Ravioli.Staging.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ravioli.Staging.Tests;

public sealed class OperatorBuildpackTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_v2_buildpack_at_position_1_is_detected_ahead_of_the_built_ins()
    {
        using var buildpack = new TempDirectory("bp");
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        TestBuildpacks.WriteV2(buildpack, "ravioli-v2.txt");
        await Samples.CopyAsync("node", app.Path);
        app.Write("ravioli-v2.txt", "");
        app.Write("greeting.txt", "hello from the greeting file\n");
        var registry = BuildpackRegistry.Default.WithBuildpack("ravioli_v2", buildpack.Path, position: 1);
        var run = new StagingRun(output);

        var result = await run.StageAsync(new StagingRequest { SourceDirectory = app.Path, WorkDirectory = work.Path, CacheDirectory = work.Combine("cache") }, registry);

        Assert.Equal("ravioli_v2", result.Buildpack);
        Assert.Equal("./serve.sh", result.StartCommand);
        Assert.Contains("-----> v2 test buildpack compiling", run.Log);
        Assert.Contains("release diagnostics go to stderr", run.Log);
        Assert.True(File.Exists(work.Combine("cache", "ravioli_v2", "last-compile")), "bin/compile gets the buildpack's cache directory");
        await using var running = RunningApp.Start(result.AppDirectory, result.StartCommand);
        var body = (await running.GetAsync()).Body;
        Assert.Contains("compiled by v2", body);
        Assert.Contains("hello from the greeting file", body);
        Assert.Contains("V2_CONFIG='from release'", await File.ReadAllTextAsync(Path.Combine(result.AppDirectory, ".profile.d", "000_release_config_vars.sh")));
    }

    [Fact]
    public async Task An_operator_buildpack_after_the_built_ins_only_gets_apps_they_do_not_detect()
    {
        using var buildpack = new TempDirectory("bp");
        using var work = new TempDirectory("work");
        TestBuildpacks.WriteV2(buildpack, "package.json");
        var registry = BuildpackRegistry.Default.WithBuildpack("late_bp", buildpack.Path);

        var result = await new StagingRun(output).StageAsync(new StagingRequest { SourceDirectory = Samples.PathOf("node"), WorkDirectory = work.Path }, registry);

        Assert.Equal(BuildpackNames.Nodejs, result.Buildpack);
    }

    [Fact]
    public async Task A_v3_buildpack_supplies_and_finalizes_and_its_droplet_still_runs_after_moving()
    {
        using var buildpack = new TempDirectory("bp");
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        using var elsewhere = new TempDirectory("moved");
        TestBuildpacks.WriteV3(buildpack, "ravioli-v3.txt");
        app.Write("ravioli-v3.txt", "");
        var registry = BuildpackRegistry.Default.WithBuildpack("ravioli_v3", buildpack.Path, position: 1);
        var run = new StagingRun(output);

        var result = await run.StageAsync(new StagingRequest { SourceDirectory = app.Path, WorkDirectory = work.Path }, registry);

        Assert.Equal("ravioli_v3", result.Buildpack);
        Assert.Contains("-----> v3 test buildpack supplying (index 0)", run.Log);
        Assert.Contains("-----> v3 test buildpack finalizing", run.Log);
        Assert.True(File.Exists(Path.Combine(result.AppDirectory, DropletLayout.DepsDirectoryName, "0", "bin", "greet")));

        var moved = Path.Combine(elsewhere.Path, "droplet");
        Directory.Move(result.DropletDirectory, moved);
        await using var running = RunningApp.Start(Path.Combine(moved, "app"), result.StartCommand);
        Assert.Equal("supplied by v3 and finalized\n", (await running.GetAsync()).Body);
    }

    [Fact]
    public async Task In_a_multi_buildpack_staging_the_first_only_supplies()
    {
        using var buildpack = new TempDirectory("bp");
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        TestBuildpacks.WriteV3(buildpack, "never-detected");
        app.Write("Procfile", "web: " + "./serve-greeting.sh\n");
        app.Write("serve-greeting.sh", TestBuildpacks.ServeScript("greet"), executable: true);
        var registry = BuildpackRegistry.Default.WithBuildpack("ravioli_v3", buildpack.Path);
        var run = new StagingRun(output);

        var result = await run.StageAsync(new StagingRequest
        {
            SourceDirectory = app.Path,
            WorkDirectory = work.Path,
            Buildpacks = ["ravioli_v3", BuildpackNames.Binary],
        }, registry);

        Assert.Equal(BuildpackNames.Binary, result.Buildpack);
        Assert.Equal(["ravioli_v3", BuildpackNames.Binary], result.Buildpacks);
        Assert.DoesNotContain("-----> v3 test buildpack finalizing", run.Log);
        await using var running = RunningApp.Start(result.AppDirectory, result.StartCommand);
        Assert.Equal("supplied by v3\n", (await running.GetAsync()).Body);
    }

    [Fact]
    public async Task A_v2_buildpack_cannot_go_first_in_a_multi_buildpack_staging()
    {
        using var buildpack = new TempDirectory("bp");
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        TestBuildpacks.WriteV2(buildpack, "x");
        app.Write("Procfile", "web: sleep 1\n");
        var registry = BuildpackRegistry.Default.WithBuildpack("ravioli_v2", buildpack.Path);

        var failure = await Assert.ThrowsAsync<StagingFailedException>(() => new StagingRun(output).StageAsync(new StagingRequest
        {
            SourceDirectory = app.Path,
            WorkDirectory = work.Path,
            Buildpacks = ["ravioli_v2", BuildpackNames.Binary],
        }, registry));

        Assert.Equal(StagingFailureReason.BuildpackFailed, failure.Reason);
        Assert.Contains("no bin/supply", failure.Message);
    }

    [Fact]
    public async Task Invalid_release_yaml_fails_with_InvalidRelease()
    {
        using var buildpack = new TempDirectory("bp");
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        buildpack.Write("bin/detect", "#!/bin/sh\nexit 0\n", executable: true);
        buildpack.Write("bin/compile", "#!/bin/sh\nexit 0\n", executable: true);
        buildpack.Write("bin/release", "#!/bin/sh\necho 'default_process_types: [web, ./x'\n", executable: true);
        app.Write("a.txt", "");
        var registry = BuildpackRegistry.Default.WithBuildpack("bad_release", buildpack.Path, position: 1);

        var failure = await Assert.ThrowsAsync<StagingFailedException>(() =>
            new StagingRun(output).StageAsync(new StagingRequest { SourceDirectory = app.Path, WorkDirectory = work.Path }, registry));

        Assert.Equal(StagingFailureReason.InvalidRelease, failure.Reason);
        Assert.Contains("bad_release's bin/release printed an invalid release", failure.Message);
    }

    [Fact]
    public async Task A_failing_compile_script_reports_its_exit_code_and_output()
    {
        using var buildpack = new TempDirectory("bp");
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        buildpack.Write("bin/detect", "#!/bin/sh\nexit 0\n", executable: true);
        buildpack.Write("bin/compile", "#!/bin/sh\nfor i in $(seq 1 30); do echo \"line $i\"; done\necho 'something broke' >&2\nexit 3\n", executable: true);
        app.Write("a.txt", "");
        var registry = BuildpackRegistry.Default.WithBuildpack("broken", buildpack.Path, position: 1);

        var failure = await Assert.ThrowsAsync<StagingFailedException>(() =>
            new StagingRun(output).StageAsync(new StagingRequest { SourceDirectory = app.Path, WorkDirectory = work.Path }, registry));

        Assert.Equal(StagingFailureReason.BuildpackFailed, failure.Reason);
        Assert.Contains("/bin/compile <app> <cache>` exited with code 3.", failure.Message);
        Assert.Contains("Last 20 lines of its output:", failure.Message);
        Assert.Contains("  something broke", failure.Message);
        Assert.Contains("  line 30", failure.Message);
        Assert.DoesNotContain("  line 10\n", failure.Message);
    }

    [Fact]
    public void Release_yaml_parses_process_types_and_config_vars()
    {
        var release = ReleaseYaml.Parse("""
            ---
            addons: []
            config_vars:
              RACK_ENV: production
            default_process_types:
              web: bundle exec rackup config.ru -p $PORT
              worker: bundle exec sidekiq
            """);

        Assert.Equal("bundle exec rackup config.ru -p $PORT", release.ProcessTypes["web"]);
        Assert.Equal("bundle exec sidekiq", release.ProcessTypes["worker"]);
        Assert.Equal("production", release.ConfigVars["RACK_ENV"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("---\n")]
    [InlineData("--- {}\n")]
    [InlineData("default_process_types:\n")]
    public void Release_yaml_without_process_types_is_empty(string yaml) =>
        Assert.Empty(ReleaseYaml.Parse(yaml).ProcessTypes);

    [Theory]
    [InlineData("default_process_types: [web, ./x", "not valid YAML")]
    [InlineData("- web\n- worker\n", "not a YAML mapping")]
    [InlineData("default_process_types: ./server\n", "'default_process_types' is not a mapping")]
    [InlineData("default_process_types:\n  web:\n    - a\n", "'default_process_types.web' is not a string")]
    public void Release_yaml_of_the_wrong_shape_is_rejected(string yaml, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormatException>(() => ReleaseYaml.Parse(yaml)).Message);

    [Fact]
    public void Registry_positions_follow_cf_semantics()
    {
        using var one = new TempDirectory("bp1");
        using var two = new TempDirectory("bp2");
        one.Write("bin/detect", "#!/bin/sh\nexit 1\n", executable: true);
        two.Write("bin/detect", "#!/bin/sh\nexit 1\n", executable: true);

        var registry = BuildpackRegistry.Default
            .WithBuildpack("first", one.Path, position: 1)
            .WithBuildpack("third", two.Path, position: 3)
            .WithoutBuildpack(BuildpackNames.Binary);

        var names = registry.Buildpacks.Select(b => $"{b.Position}:{b.Name}").ToList();
        Assert.Equal(["1:first", "2:dotnet_core_buildpack", "3:third", "4:nodejs_buildpack", "5:python_buildpack", "6:go_buildpack", "7:java_buildpack", "8:staticfile_buildpack"], names);
        Assert.Equal(one.Path, registry.Buildpacks[0].Directory);
        Assert.True(registry.Buildpacks[1].IsBuiltIn);
        Assert.Equal(8, BuildpackRegistry.Default.WithBuildpack("last", one.Path, position: 99).Buildpacks.Single(b => b.Name == "last").Position);
        Assert.Throws<ArgumentException>(() => registry.WithBuildpack("first", two.Path));
        Assert.Throws<ArgumentException>(() => registry.WithBuildpack("nodejs_buildpack", two.Path));
        Assert.Throws<ArgumentException>(() => registry.WithBuildpack("../evil", two.Path));
        Assert.Throws<ArgumentException>(() => registry.WithBuildpack("empty", Path.GetTempPath()));
        Assert.Throws<ArgumentOutOfRangeException>(() => registry.WithBuildpack("zero", two.Path, position: 0));
    }
}
