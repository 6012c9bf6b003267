using Ravioli.Staging.Running;
using Ravioli.Staging.Tests.Support;
using Xunit;

namespace Ravioli.Staging.Tests;

public sealed class ProcessStagingRunnerTests
{
    private static readonly Dictionary<string, string> s_environment = new() { ["PATH"] = "/usr/bin:/bin", ["ONLY_THIS"] = "yes" };

    [Fact]
    public async Task Streams_stdout_and_stderr_lines_and_returns_the_exit_code()
    {
        using var work = new TempDirectory("runner");
        var lines = new List<string>();

        var exitCode = await new ProcessStagingRunner().RunAsync(
            new StagingCommand("sh", ["-c", "echo out; echo err >&2; pwd; exit 7"], work.Path, s_environment),
            lines.Add, CancellationToken.None);

        Assert.Equal(7, exitCode);
        Assert.Contains("out", lines);
        Assert.Contains("err", lines);
        Assert.Contains(work.Path, lines);
    }

    [Fact]
    public async Task Lines_arrive_while_the_command_still_runs()
    {
        using var work = new TempDirectory("runner");
        using var cancel = new CancellationTokenSource();
        var first = new TaskCompletionSource<string>();

        var run = new ProcessStagingRunner().RunAsync(
            new StagingCommand("sh", ["-c", "echo first; sleep 30"], work.Path, s_environment),
            line => first.TrySetResult(line), cancel.Token);

        Assert.Equal("first", await first.Task.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.False(run.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task The_command_sees_only_the_given_environment()
    {
        using var work = new TempDirectory("runner");
        var lines = new List<string>();

        await new ProcessStagingRunner().RunAsync(new StagingCommand("env", [], work.Path, s_environment), lines.Add, CancellationToken.None);

        Assert.Equal(["ONLY_THIS=yes", "PATH=/usr/bin:/bin"], lines.Order().ToList());
    }

    [Fact]
    public async Task Missing_and_non_executable_commands_exit_like_a_shell()
    {
        using var work = new TempDirectory("runner");
        var script = work.Write("not-executable.sh", "#!/bin/sh\n");
        var lines = new List<string>();
        var runner = new ProcessStagingRunner();

        Assert.Equal(127, await runner.RunAsync(new StagingCommand("no-such-tool-ravioli", [], work.Path, s_environment), lines.Add, CancellationToken.None));
        Assert.Equal(126, await runner.RunAsync(new StagingCommand(script, [], work.Path, s_environment), lines.Add, CancellationToken.None));
        Assert.Contains(lines, l => l.StartsWith("no-such-tool-ravioli: command not found", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancellation_kills_the_command_and_its_children()
    {
        using var work = new TempDirectory("runner");
        using var cancel = new CancellationTokenSource();
        var pidFile = work.Combine("child.pid");
        var started = new TaskCompletionSource();

        var run = new ProcessStagingRunner().RunAsync(
            new StagingCommand("sh", ["-c", $"sh -c 'echo $$ > {pidFile}; sleep 300' & sleep 0.2; echo started; wait"], work.Path, s_environment),
            line => { if (line == "started") { started.TrySetResult(); } }, cancel.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        var pid = int.Parse(await File.ReadAllTextAsync(pidFile));
        Assert.True(await Processes.WaitUntilDeadAsync(pid, TimeSpan.FromSeconds(10)), $"child {pid} survived the cancellation");
    }

    [Fact]
    public async Task Background_processes_left_by_a_finished_command_are_ended()
    {
        using var work = new TempDirectory("runner");
        var pidFile = work.Combine("daemon.pid");

        var exitCode = await new ProcessStagingRunner().RunAsync(
            new StagingCommand("sh", ["-c", $"sh -c 'echo $$ > {pidFile}; exec sleep 300' > /dev/null 2>&1 & sleep 0.2; echo done"], work.Path, s_environment),
            _ => { }, CancellationToken.None);

        Assert.Equal(0, exitCode);
        var pid = int.Parse(await File.ReadAllTextAsync(pidFile));
        Assert.True(await Processes.WaitUntilDeadAsync(pid, TimeSpan.FromSeconds(10)), $"background process {pid} outlived the staging command");
    }
}
