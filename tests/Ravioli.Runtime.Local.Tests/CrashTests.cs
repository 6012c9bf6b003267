using Ravioli.Runtime.Local.Processes;

using Ravioli.Core.Apps;

namespace Ravioli.Runtime.Local.Tests;

public sealed class CrashTests
{
    [Fact]
    public async Task KillMinus9_OfTheApp_IsACrashWithReason_AndTheSameIndexRunsAgain()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var spec = h.Spec(index: 2);
        await h.Executor.ApplyAsync([spec]);
        var first = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running);
        var app = ExecutorHarness.AppPid(first);
        Assert.NotEqual(0, app);

        Assert.True(Native.Kill(app, Native.SigKill));

        var crash = await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Crashed && e.InstanceGuid == spec.InstanceGuid, "crash event");
        Assert.Equal(137, crash.ExitCode);
        Assert.Equal("exited with code 137", crash.Reason);
        Assert.Equal(2, crash.Index);
        Assert.Equal(1, crash.CrashCount);
        Assert.Equal(crash.Timestamp, crash.NextRestartAt);

        var second = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running, s => s.Pid != first.Pid);
        Assert.Equal(2, second.Index);
        Assert.Equal(1, second.CrashCount);
        Assert.Equal(137, second.LastExitCode);
        Assert.Equal("exited with code 137", second.LastCrashReason);
        Assert.Equal("ravioli", (await h.GetJsonAsync(second, "/")).GetProperty("hello").GetString());
        Assert.Single(h.Executor.Snapshot());
    }

    [Fact]
    public async Task AppExitingWithCode3_CrashEventSaysExitedWithCode3()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var spec = h.Spec(command: "echo bye; exit 3", healthCheck: HealthCheckTypes.Process);
        await h.Executor.ApplyAsync([spec]);

        var crash = await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Crashed && e.InstanceGuid == spec.InstanceGuid, "crash event");
        Assert.Equal(3, crash.ExitCode);
        Assert.Equal("exited with code 3", crash.Reason);
        await h.WaitForAsync(() => h.Output().FirstOrDefault(l => l.Text == "bye"), "the app's last words");
    }

    [Fact]
    public async Task Backoff_ThreeImmediateRestarts_ThenDelaysDoubleUpToTheCap()
    {
        await using var h = await ExecutorHarness.StartAsync(o => o with
        {
            ImmediateRestarts = 3,
            InitialRestartDelay = TimeSpan.FromMilliseconds(250),
            MaxRestartDelay = TimeSpan.FromMilliseconds(800),
        });
        var spec = h.Spec(command: "exit 1", healthCheck: HealthCheckTypes.Process);
        await h.Executor.ApplyAsync([spec]);

        await h.WaitForAsync(() => h.Events().Count(e => e.Type == InstanceEventTypes.Crashed) >= 7 ? "" : null, "seven crashes", TimeSpan.FromSeconds(60));
        var crashes = h.Events().Where(e => e.Type == InstanceEventTypes.Crashed).Take(7).ToList();
        var starts = h.Events().Where(e => e.Type == InstanceEventTypes.Started).ToList();

        Assert.Equal([1, 2, 3, 4, 5, 6, 7], crashes.Select(c => c.CrashCount));
        var delays = crashes.Select(c => c.NextRestartAt!.Value - c.Timestamp).ToList();
        Assert.Equal(
            [TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(800), TimeSpan.FromMilliseconds(800)],
            delays);

        // Every restart honoured its crash's NextRestartAt.
        for (var i = 0; i < 6; i++)
        {
            var restart = starts.First(s => s.Timestamp >= crashes[i].Timestamp);
            Assert.True(restart.Timestamp >= crashes[i].NextRestartAt, $"restart {i + 1} at {restart.Timestamp:O} came before {crashes[i].NextRestartAt:O}");
        }

        var status = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Crashed, s => s.NextRestartAt is not null);
        Assert.Equal("exited with code 1", status.LastCrashReason);
    }

    [Fact]
    public async Task HealthCheck_FailingWhileRunning_CrashesAndRestarts()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var spec = h.Spec(healthCheck: HealthCheckTypes.Http, endpoint: "/health");
        await h.Executor.ApplyAsync([spec]);
        var running = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running);

        Assert.True((await h.GetJsonAsync(running, "/write?path=/app/unhealthy")).GetProperty("ok").GetBoolean());

        var crash = await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Crashed, "crash event");
        Assert.StartsWith("health check failed: GET /health answered 500", crash.Reason, StringComparison.Ordinal);
        // The restart gets a fresh copy of the droplet, without the file that made it unhealthy.
        await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running, s => s.Pid != running.Pid);
    }

    [Fact]
    public async Task HealthCheck_NeverHealthy_CrashesAfterTheStartTimeout()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var spec = h.Spec(command: "sleep 60", healthCheck: HealthCheckTypes.Port, startTimeout: TimeSpan.FromSeconds(1), stopTimeout: TimeSpan.FromSeconds(1));
        await h.Executor.ApplyAsync([spec]);

        var crash = await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Crashed, "crash event");
        Assert.StartsWith("health check failed: not healthy within 1 s", crash.Reason, StringComparison.Ordinal);
        Assert.Contains("refused", crash.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(h.Events(), e => e.Type == InstanceEventTypes.Running);
    }
}
