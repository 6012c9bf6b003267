using Ravioli.Staging.Buildpacks;
using Ravioli.Staging.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ravioli.Staging.Tests;

public sealed class FailureTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_failing_npm_install_reports_the_command_its_exit_code_and_last_lines()
    {
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        app.Write("package.json", """
            {
              "name": "broken-deps",
              "version": "1.0.0",
              "scripts": { "start": "node server.js" },
              "dependencies": { "ravioli-no-such-package-7f3a9c1e": "1.0.0" }
            }
            """);
        app.Write("server.js", "console.log('never runs');\n");

        var failure = await Assert.ThrowsAsync<StagingFailedException>(() =>
            new StagingRun(output).StageAsync(new StagingRequest { SourceDirectory = app.Path, WorkDirectory = work.Path }));

        Assert.Equal(StagingFailureReason.BuildpackFailed, failure.Reason);
        Assert.StartsWith("nodejs_buildpack failed: `npm install --omit=dev` exited with code 1.", failure.Message);
        Assert.Contains("Last ", failure.Message);
        Assert.Contains("E404", failure.Message);
        Assert.Contains("ravioli-no-such-package-7f3a9c1e", failure.Message);
        Assert.True(failure.Message.Split('\n').Length <= 2 + 20, "at most 20 lines of output");
    }

    [Fact]
    public async Task Unreachable_python_requirements_fail_with_pips_own_error()
    {
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        app.Write("requirements.txt", "flask==3.0.0\n");
        app.Write("app.py", "print('never runs')\n");

        var failure = await Assert.ThrowsAsync<StagingFailedException>(() =>
            new StagingRun(output).StageAsync(new StagingRequest { SourceDirectory = app.Path, WorkDirectory = work.Path }));

        Assert.Equal(StagingFailureReason.BuildpackFailed, failure.Reason);
        Assert.Contains("`python3 -m pip install --target .python_packages", failure.Message);
        Assert.Contains("pip said: ERROR:", failure.Message);
        Assert.Contains("flask==3.0.0", failure.Message);
        Assert.Contains("vendor", failure.Message);
    }

    [Fact]
    public async Task A_go_module_with_unavailable_dependencies_says_to_vendor_them()
    {
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        app.Write("go.mod", "module example.com/needs-deps\n\ngo 1.19\n\nrequire github.com/ravioli/no-such-module v1.0.0\n");
        app.Write("main.go", "package main\n\nimport _ \"github.com/ravioli/no-such-module\"\n\nfunc main() {}\n");

        var failure = await Assert.ThrowsAsync<StagingFailedException>(() =>
            new StagingRun(output).StageAsync(new StagingRequest { SourceDirectory = app.Path, WorkDirectory = work.Path }));

        Assert.Equal(StagingFailureReason.BuildpackFailed, failure.Reason);
        Assert.Contains("`go build -trimpath -o bin/needs-deps .` exited with code 1", failure.Message);
        Assert.Contains("go mod vendor", failure.Message);
    }

    [Fact]
    public async Task Staging_past_its_time_limit_fails_and_kills_the_build_process_tree()
    {
        using var buildpack = new TempDirectory("bp");
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        buildpack.Write("bin/detect", "#!/bin/sh\nexit 0\n", executable: true);
        // The build hangs in a grandchild; its pids land in the cache directory ($2).
        buildpack.Write("bin/compile", """
            #!/bin/sh
            echo "-----> Compiling forever"
            echo $$ > "$2/compile.pid"
            sh -c 'echo $$ > "$0/sleeper.pid"; sleep 300' "$2" &
            wait
            """, executable: true);
        app.Write("anything.txt", "x");
        var registry = BuildpackRegistry.Default.WithBuildpack("sleepy", buildpack.Path, position: 1);
        var cache = work.Combine("cache");

        var failure = await Assert.ThrowsAsync<StagingFailedException>(() => new StagingRun(output).StageAsync(new StagingRequest
        {
            SourceDirectory = app.Path,
            WorkDirectory = work.Path,
            CacheDirectory = cache,
            Timeout = TimeSpan.FromSeconds(5),
        }, registry));

        Assert.Equal(StagingFailureReason.Timeout, failure.Reason);
        Assert.StartsWith("Staging exceeded 5 seconds", failure.Message);
        foreach (var pidFile in new[] { "compile.pid", "sleeper.pid" })
        {
            var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(cache, "sleepy", pidFile)));
            Assert.True(await Processes.WaitUntilDeadAsync(pid, TimeSpan.FromSeconds(10)), $"process {pid} ({pidFile}) is still running");
        }
    }

    [Fact]
    public void The_timeout_message_names_minutes()
    {
        Assert.Equal("15 minutes", Stager.Describe(StagingRequest.DefaultTimeout));
        Assert.Equal("1 minute", Stager.Describe(TimeSpan.FromMinutes(1)));
        Assert.Equal("90 seconds", Stager.Describe(TimeSpan.FromSeconds(90)));
    }

    [Fact]
    public async Task Cancelling_a_staging_throws_OperationCanceled_not_a_staging_failure()
    {
        using var buildpack = new TempDirectory("bp");
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        buildpack.Write("bin/detect", "#!/bin/sh\nexit 0\n", executable: true);
        buildpack.Write("bin/compile", "#!/bin/sh\necho $$ > \"$2/compile.pid\"\necho compile started\nexec sleep 300\n", executable: true);
        app.Write("anything.txt", "x");
        var registry = BuildpackRegistry.Default.WithBuildpack("sleepy", buildpack.Path, position: 1);
        using var cancellation = new CancellationTokenSource();
        var run = new StagingRun(output);

        var staging = run.StageAsync(new StagingRequest { SourceDirectory = app.Path, WorkDirectory = work.Path }, registry, cancellation.Token);
        for (var i = 0; i < 300 && !run.Log.Contains("compile started"); i++)
        {
            await Task.Delay(100);
        }
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => staging);
        Assert.Equal("-----> Staging cancelled", run.Log[^1]);
        var pid = int.Parse(await File.ReadAllTextAsync(work.Combine("cache", "sleepy", "compile.pid")));
        Assert.True(await Processes.WaitUntilDeadAsync(pid, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_missing_source_directory_is_an_invalid_request()
    {
        using var work = new TempDirectory("work");

        var failure = await Assert.ThrowsAsync<StagingFailedException>(() =>
            new StagingRun(output).StageAsync(new StagingRequest { SourceDirectory = work.Combine("nope"), WorkDirectory = work.Combine("w") }));

        Assert.Equal(StagingFailureReason.InvalidRequest, failure.Reason);
    }
}
