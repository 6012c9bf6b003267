using Ravioli.Cli.Commands.Apps;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Tests.Unit;

public sealed class InstanceWatcherTests
{
    private static InstanceStats Instance(int index, string state, string? details = null, long uptime = 1)
        => new("web", index, state, uptime, null, null, null, details);

    [Fact]
    public void MarkReplaced_InstancesRunningSinceBeforeTheRestart_AreNotCountedAsRunning()
    {
        var stats = InstanceWatcher.MarkReplaced(
            [Instance(0, "RUNNING", uptime: 40), Instance(1, "RUNNING", uptime: 2), Instance(2, "STARTING", uptime: 0)],
            TimeSpan.FromSeconds(3));

        Assert.Equal(["REPLACING", "RUNNING", "STARTING"], stats.Select(s => s.State));
        Assert.Equal("1 of 3 instances running, 1 starting, 1 replacing", InstanceWatcher.Describe(stats, 3));
    }

    [Fact]
    public async Task WaitAsync_OnARestart_WaitsForTheNewGenerationRatherThanTheOldOneStillRunning()
    {
        // What a re-push sees: first the old instance (running for a minute), then its replacement.
        var (outcome, reports, _) = await WatchAsync(
            1,
            TimeSpan.FromSeconds(60),
            [Instance(0, "REPLACING", uptime: 60)],
            [Instance(0, "STARTING", uptime: 0)],
            [Instance(0, "RUNNING", uptime: 0)]);

        Assert.IsType<StartOutcome.Running>(outcome);
        Assert.Equal(["0 of 1 instances running, 1 replacing", "0 of 1 instances running, 1 starting", "1 of 1 instances running"], reports);
    }

    /// <summary>Runs the watcher over a scripted series of stats on a clock that moves only when it pauses.</summary>
    private static async Task<(StartOutcome Outcome, List<string> Reports, TimeSpan Waited)> WatchAsync(
        int desired, TimeSpan timeout, params IReadOnlyList<InstanceStats>?[] series)
    {
        var now = DateTimeOffset.UnixEpoch;
        var start = now;
        var reads = 0;
        var reports = new List<string>();
        var watcher = new InstanceWatcher(
            _ => Task.FromResult(series[Math.Min(reads++, series.Length - 1)] is { } stats
                ? ((IReadOnlyList<InstanceStats>?)stats, (string?)null)
                : (null, "503 node agent not reachable")),
            (pause, _) =>
            {
                now += pause;
                return Task.CompletedTask;
            },
            () => now);
        var outcome = await watcher.WaitAsync(desired, timeout, reports.Add, default);
        return (outcome, reports, now - start);
    }

    [Fact]
    public async Task WaitAsync_AllRunning_ReportsEachChangeOnce()
    {
        var (outcome, reports, waited) = await WatchAsync(
            2,
            TimeSpan.FromSeconds(60),
            [Instance(0, "STARTING"), Instance(1, "STARTING")],
            [Instance(0, "STARTING"), Instance(1, "STARTING")],
            [Instance(0, "RUNNING"), Instance(1, "STARTING")],
            [Instance(0, "RUNNING"), Instance(1, "RUNNING")]);

        Assert.IsType<StartOutcome.Running>(outcome);
        Assert.Equal(["0 of 2 instances running, 2 starting", "1 of 2 instances running, 1 starting", "2 of 2 instances running"], reports);
        Assert.Equal(3 * InstanceWatcher.PollInterval, waited);
    }

    [Fact]
    public async Task WaitAsync_ACrash_EndsTheWaitWithItsReason()
    {
        var (outcome, reports, _) = await WatchAsync(
            2,
            TimeSpan.FromSeconds(60),
            [Instance(0, "STARTING"), Instance(1, "STARTING")],
            [Instance(0, "RUNNING"), Instance(1, "CRASHED", "out of memory")]);

        Assert.Equal(new StartOutcome.Crashed(1, "out of memory"), outcome);
        Assert.Equal("1 of 2 instances running, 1 crashed", reports[^1]);
    }

    [Fact]
    public async Task WaitAsync_StillStartingAfterTheTimeout_TimesOut()
    {
        var (outcome, _, waited) = await WatchAsync(1, TimeSpan.FromSeconds(10), [Instance(0, "STARTING")]);

        Assert.Equal(new StartOutcome.TimedOut("0 of 1 instances running, 1 starting"), outcome);
        Assert.Equal(TimeSpan.FromSeconds(10), waited);
    }

    [Fact]
    public async Task WaitAsync_FewerInstancesThanWanted_KeepsWaiting()
    {
        var (outcome, reports, _) = await WatchAsync(
            2,
            TimeSpan.FromSeconds(60),
            [Instance(0, "RUNNING")],
            [Instance(0, "RUNNING"), Instance(1, "DOWN")],
            [Instance(0, "RUNNING"), Instance(1, "RUNNING")]);

        Assert.IsType<StartOutcome.Running>(outcome);
        Assert.Equal(["1 of 2 instances running", "1 of 2 instances running, 1 down", "2 of 2 instances running"], reports);
    }

    [Fact]
    public async Task WaitAsync_NoStats_IsUnknownRatherThanAGuess()
    {
        var (outcome, reports, _) = await WatchAsync(1, TimeSpan.FromSeconds(60), [null]);

        Assert.Equal(new StartOutcome.Unknown("503 node agent not reachable"), outcome);
        Assert.Empty(reports);
    }
}
