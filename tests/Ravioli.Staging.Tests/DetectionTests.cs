using Ravioli.Staging.Buildpacks;
using Ravioli.Staging.Running;
using Ravioli.Staging.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ravioli.Staging.Tests;

public sealed class DetectionTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(BuildpackNames.DotnetCore, "App.csproj", "package.json", "app.py", "go.mod", "app.jar", "index.html")]
    [InlineData(BuildpackNames.DotnetCore, "App.sln", "package.json")]
    [InlineData(BuildpackNames.Nodejs, "package.json", "requirements.txt", "go.mod", "index.html")]
    [InlineData(BuildpackNames.Python, "requirements.txt", "go.mod", "app.jar", "index.html")]
    [InlineData(BuildpackNames.Python, "pyproject.toml", "index.html")]
    [InlineData(BuildpackNames.Python, "worker.py", "Staticfile")]
    [InlineData(BuildpackNames.Go, "go.mod", "app.jar", "index.html")]
    [InlineData(BuildpackNames.Java, "app.jar", "index.html")]
    [InlineData(BuildpackNames.Java, "META-INF/MANIFEST.MF")]
    [InlineData(BuildpackNames.Staticfile, "index.html", "style.css")]
    [InlineData(BuildpackNames.Staticfile, "Staticfile", "public/index.html")]
    public async Task Detection_follows_the_built_in_order(string expected, params string[] files)
    {
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        foreach (var file in files)
        {
            app.Write(file, file == "META-INF/MANIFEST.MF" ? "Manifest-Version: 1.0\nMain-Class: com.example.Main\n" : "");
        }
        var stager = new Stager(BuildpackRegistry.Default, new ProcessStagingRunner());
        Assert.Equal(expected, await stager.DetectAsync(app.Path, work.Path, CancellationToken.None));
    }

    [Fact]
    public async Task An_app_no_buildpack_recognises_fails_with_what_was_looked_for()
    {
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        app.Write("server.sh", "#!/bin/sh\n", executable: true);
        app.Write("README.md", "hello");

        var failure = await Assert.ThrowsAsync<StagingFailedException>(() =>
            new StagingRun(output).StageAsync(new StagingRequest { SourceDirectory = app.Path, WorkDirectory = work.Path }));

        Assert.Equal(StagingFailureReason.NoBuildpackDetected, failure.Reason);
        Assert.Equal(
            "No buildpack detected. Looked for: *.csproj/*.sln (dotnet_core), package.json (nodejs), requirements.txt/pyproject.toml/*.py (python), " +
            "go.mod (go), *.jar (java), index.html/Staticfile (staticfile). Use -b to choose one.",
            failure.Message);
    }

    [Fact]
    public async Task An_unknown_requested_buildpack_fails_listing_the_known_ones()
    {
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        app.Write("index.html", "<p>hi</p>");

        var failure = await Assert.ThrowsAsync<StagingFailedException>(() =>
            new StagingRun(output).StageAsync(new StagingRequest { SourceDirectory = app.Path, WorkDirectory = work.Path, Buildpacks = ["ruby_buildpack"] }));

        Assert.Equal(StagingFailureReason.BuildpackNotFound, failure.Reason);
        Assert.Contains("'ruby_buildpack' was not found", failure.Message);
        Assert.Contains("dotnet_core_buildpack, nodejs_buildpack, python_buildpack, go_buildpack, java_buildpack, staticfile_buildpack, binary_buildpack", failure.Message);
    }

    [Fact]
    public async Task A_requested_buildpack_runs_even_where_it_would_not_detect()
    {
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        app.Write("index.html", "<p>served by python</p>");
        app.Write("Procfile", "web: python3 -m http.server $PORT\n");
        var run = new StagingRun(output);

        var result = await run.StageAsync(new StagingRequest { SourceDirectory = app.Path, WorkDirectory = work.Path, Buildpacks = [BuildpackNames.Python] });

        Assert.Equal(BuildpackNames.Python, result.Buildpack);
        Assert.Equal("python3 -m http.server $PORT", result.StartCommand);
        Assert.Contains(run.Log, l => l.Contains("detection is skipped", StringComparison.Ordinal));
        await using var running = RunningApp.Start(result.AppDirectory, result.StartCommand);
        Assert.Contains("served by python", (await running.GetAsync("/index.html")).Body);
    }

    [Fact]
    public async Task A_requested_buildpack_that_cannot_build_the_app_says_what_is_missing()
    {
        using var work = new TempDirectory("work");

        var failure = await Assert.ThrowsAsync<StagingFailedException>(() =>
            new StagingRun(output).StageAsync(new StagingRequest { SourceDirectory = Samples.PathOf("node"), WorkDirectory = work.Path, Buildpacks = [BuildpackNames.Go] }));

        Assert.Equal(StagingFailureReason.BuildpackFailed, failure.Reason);
        Assert.StartsWith("go_buildpack failed: the app has no go.mod at its root.", failure.Message);
    }
}
