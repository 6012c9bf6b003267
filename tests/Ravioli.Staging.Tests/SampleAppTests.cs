using System.Diagnostics;
using System.Net;
using Ravioli.Staging.Buildpacks;
using Ravioli.Staging.Droplets;
using Ravioli.Staging.Files;
using Ravioli.Staging.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ravioli.Staging.Tests;

/// <summary>
/// Each sample staged once with the real toolchain, packed, unpacked somewhere else (the staging
/// directory deleted, so a droplet that names it breaks), started like the runtime starts it, and asked GET /.
/// </summary>
public sealed class SampleAppTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Dotnet_sample_publishes_and_answers()
    {
        var staged = await StageAndRunAsync(Samples.PathOf("dotnet"), BuildpackNames.DotnetCore, "Hello from .NET",
            (_, app) =>
            {
                Assert.True(File.Exists(Path.Combine(app, "hello-dotnet.dll")));
                Assert.False(File.Exists(Path.Combine(app, "Program.cs")), "the droplet holds the published app, not its sources");
                return Task.CompletedTask;
            });
        Assert.Equal("dotnet hello-dotnet.dll", staged.Result.StartCommand);
        Assert.Contains("-----> .NET Core Buildpack", staged.Log);
    }

    [Fact]
    public async Task Node_sample_installs_and_answers()
    {
        var staged = await StageAndRunAsync(Samples.PathOf("node"), BuildpackNames.Nodejs, "Hello from Node.js");
        Assert.Equal("npm start", staged.Result.StartCommand);
        Assert.Contains("-----> Nodejs Buildpack", staged.Log);
        // Its lock file locks no package: npm ci would install nothing and only cost npm's start-up.
        Assert.Contains("       No dependencies to install", staged.Log);
        Assert.DoesNotContain(staged.Log, line => line.Contains("npm ci", StringComparison.Ordinal));
        Assert.Contains("-----> Uploading droplet", staged.Log);
    }

    [Fact]
    public async Task Python_sample_runs_its_Procfile_command()
    {
        var staged = await StageAndRunAsync(Samples.PathOf("python"), BuildpackNames.Python, "Hello from Python");
        Assert.Equal("python3 app.py", staged.Result.StartCommand);
        Assert.Contains("       No requirements to install", staged.Log);
    }

    [Fact]
    public async Task Go_sample_builds_a_static_binary_and_answers()
    {
        var staged = await StageAndRunAsync(Samples.PathOf("go"), BuildpackNames.Go, "Hello from Go",
            (_, app) =>
            {
                Assert.True(UnixFiles.IsExecutable(Path.Combine(app, "bin", "hello-go")));
                return Task.CompletedTask;
            });
        Assert.Equal("./bin/hello-go", staged.Result.StartCommand);
    }

    [Fact]
    public async Task Java_sample_jar_runs_with_the_heap_sized_from_MEMORY_LIMIT()
    {
        using var source = new TempDirectory("java-src");
        using var classes = new TempDirectory("java-classes");
        await RunToolAsync("javac", "-d", classes.Path, Samples.PathOf("java/Main.java"));
        await RunToolAsync("jar", "--create", "--file", source.Combine("hello-java.jar"), "--main-class", "Main", "-C", classes.Path, ".");

        var staged = await StageAndRunAsync(source.Path, BuildpackNames.Java, "Hello from Java");
        Assert.Equal("sh .java-buildpack/start.sh -jar hello-java.jar", staged.Result.StartCommand);
        // MEMORY_LIMIT=256m at run time → -Xmx192m; the JVM reports a little less (one survivor space).
        var heap = int.Parse(staged.Body.Split("max heap ")[1].Split(' ')[0]);
        Assert.InRange(heap, 100, 192);
    }

    [Fact]
    public async Task Static_sample_is_served_with_content_types()
    {
        var staged = await StageAndRunAsync(Samples.PathOf("static"), BuildpackNames.Staticfile, "Hello from a static HTML site",
            async (app, _) =>
            {
                var css = await app.GetAsync("/style.css");
                Assert.Equal(HttpStatusCode.OK, css.Status);
                Assert.Equal("text/css; charset=utf-8", css.ContentType);
                Assert.Equal(HttpStatusCode.NotFound, (await app.GetAsync("/manifest.yml")).Status);
                Assert.Equal(HttpStatusCode.NotFound, (await app.GetAsync("/missing.html")).Status);
            });
        Assert.StartsWith("text/html", staged.ContentType);
    }

    [Fact]
    public async Task Binary_sample_runs_when_chosen_with_b()
    {
        var staged = await StageAndRunAsync(Samples.PathOf("binary"), BuildpackNames.Binary, "Hello from a binary",
            (_, app) =>
            {
                Assert.True(UnixFiles.IsExecutable(Path.Combine(app, "server.sh")), "the executable bit survives staging and the droplet archive");
                return Task.CompletedTask;
            },
            buildpacks: [BuildpackNames.Binary]);
        Assert.Equal("./server.sh", staged.Result.StartCommand);
    }

    private sealed record Staged(StagingResult Result, string Body, string? ContentType, IReadOnlyList<string> Log);

    private async Task<Staged> StageAndRunAsync(string source, string expectedBuildpack, string expectedText, Func<RunningApp, string, Task>? more = null, IReadOnlyList<string>? buildpacks = null)
    {
        using var work = new TempDirectory("work");
        using var elsewhere = new TempDirectory("run");
        var staging = new StagingRun(output);
        var result = await staging.StageAsync(new StagingRequest
        {
            SourceDirectory = source,
            WorkDirectory = work.Path,
            CacheDirectory = work.Combine("cache"),
            Buildpacks = buildpacks ?? [],
            DropletArchivePath = work.Combine("droplet.tgz"),
        });
        Assert.Equal(expectedBuildpack, result.Buildpack);

        await DropletArchive.ExtractAsync(result.DropletArchivePath!, elsewhere.Path);
        FileTree.Delete(result.DropletDirectory);
        var info = await StagingInfo.ReadAsync(elsewhere.Path);
        Assert.Equal(expectedBuildpack, info.DetectedBuildpack);
        Assert.Equal(result.StartCommand, info.StartCommand);

        var app = elsewhere.Combine(DropletLayout.AppDirectoryName);
        await using var running = RunningApp.Start(app, info.ProcessTypes["web"]);
        var (status, body, contentType) = await running.GetAsync();
        Assert.True(status == HttpStatusCode.OK, $"GET / answered {status}: {body}\n{running.Output}");
        Assert.Contains(expectedText, body);
        if (more is not null)
        {
            await more(running, app);
        }
        output.WriteLine($"GET / → {body.Trim()}");
        return new Staged(result, body, contentType, staging.Log);
    }

    private static async Task RunToolAsync(string tool, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{tool} failed: {await stdout}{await stderr}");
    }
}
