using Ravioli.Staging.Buildpacks;
using Ravioli.Staging.Droplets;
using Ravioli.Staging.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ravioli.Staging.Tests;

public sealed class ProcfileTests(ITestOutputHelper output)
{
    [Fact]
    public void Parse_reads_types_and_commands_and_reports_other_lines()
    {
        var parsed = Procfile.Parse("""
            # comment
            web: node server.js --port $PORT

            worker:   node worker.js
            release-task: echo "a: b"
            not a process line
            web: node other.js
            """);

        Assert.Equal(3, parsed.ProcessTypes.Count);
        Assert.Equal("node other.js", parsed.ProcessTypes["web"]);
        Assert.Equal("node worker.js", parsed.ProcessTypes["worker"]);
        Assert.Equal("echo \"a: b\"", parsed.ProcessTypes["release-task"]);
        Assert.Equal(["not a process line"], parsed.IgnoredLines);
    }

    [Fact]
    public async Task A_Procfile_overrides_the_buildpack_web_command_and_keeps_other_types()
    {
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        await Samples.CopyAsync("node", app.Path);
        app.Write("other.js", """
            require('http').createServer((req, res) => res.end('from the Procfile command\n')).listen(process.env.PORT);
            """);
        app.Write("Procfile", "web: node other.js\nworker: node worker.js\n");

        var result = await new StagingRun(output).StageAsync(new StagingRequest { SourceDirectory = app.Path, WorkDirectory = work.Path });

        Assert.Equal(BuildpackNames.Nodejs, result.Buildpack);
        Assert.Equal("node other.js", result.StartCommand);
        Assert.Equal("node worker.js", result.ProcessTypes["worker"]);
        var info = await StagingInfo.ReadAsync(result.DropletDirectory);
        Assert.Equal("node other.js", info.StartCommand);
        Assert.Equal(new Dictionary<string, string> { ["web"] = "node other.js", ["worker"] = "node worker.js" }, info.ProcessTypes);
        var json = await File.ReadAllTextAsync(Path.Combine(result.DropletDirectory, DropletLayout.StagingInfoFileName));
        Assert.Contains("\"detected_buildpack\": \"nodejs_buildpack\"", json);
        Assert.Contains("\"process_types\"", json);

        await using var running = RunningApp.Start(result.AppDirectory, result.StartCommand);
        Assert.Contains("from the Procfile command", (await running.GetAsync()).Body);
    }

    [Fact]
    public async Task The_apps_own_command_wins_over_the_Procfile()
    {
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        await Samples.CopyAsync("python", app.Path);
        app.Write("Procfile", "web: python3 app.py\nworker: python3 worker.py\n");

        var result = await new StagingRun(output).StageAsync(new StagingRequest
        {
            SourceDirectory = app.Path,
            WorkDirectory = work.Path,
            StartCommand = "python3 -u app.py",
        });

        Assert.Equal("python3 -u app.py", result.StartCommand);
        Assert.Equal("python3 worker.py", result.ProcessTypes["worker"]);
    }

    [Fact]
    public async Task Binary_buildpack_without_a_command_fails_saying_how_to_give_one()
    {
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        app.Write("server.sh", "#!/bin/sh\nexec sleep 1\n", executable: true);

        var failure = await Assert.ThrowsAsync<StagingFailedException>(() => new StagingRun(output).StageAsync(new StagingRequest
        {
            SourceDirectory = app.Path,
            WorkDirectory = work.Path,
            Buildpacks = [BuildpackNames.Binary],
        }));

        Assert.Equal(StagingFailureReason.NoStartCommand, failure.Reason);
        Assert.Contains("binary_buildpack needs a start command", failure.Message);
        Assert.Contains("Procfile", failure.Message);
    }

    [Fact]
    public async Task Binary_buildpack_takes_the_apps_configured_command()
    {
        using var app = new TempDirectory("app");
        using var work = new TempDirectory("work");
        app.Write("server.sh", "#!/bin/sh\nexec sleep 1\n", executable: true);

        var result = await new StagingRun(output).StageAsync(new StagingRequest
        {
            SourceDirectory = app.Path,
            WorkDirectory = work.Path,
            Buildpacks = [BuildpackNames.Binary],
            StartCommand = "./server.sh",
        });

        Assert.Equal("./server.sh", result.StartCommand);
    }
}
