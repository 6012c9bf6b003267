namespace Ravioli.Runtime.Local.Tests;

public sealed class StopTests
{
    [Fact]
    public async Task GracefulStop_SendsSigterm_WhichTheAppHandles()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var spec = h.Spec(environment: new Dictionary<string, string> { ["TRAP_TERM"] = "write" }, stopTimeout: TimeSpan.FromSeconds(20));
        await h.Executor.ApplyAsync([spec]);
        var running = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running);
        var app = ExecutorHarness.AppPid(running);

        await h.Executor.ApplyAsync([]);

        var stopped = await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Stopped, "stopped event");
        Assert.Equal("no longer desired", stopped.Reason);
        Assert.Contains(h.Output(), l => l.Text == "got SIGTERM, wrote /app/terminated");
        Assert.DoesNotContain(h.Events(), e => e.Type == InstanceEventTypes.Crashed);
        Assert.False(ExecutorHarness.IsAlive(app));
        Assert.Empty(h.Executor.Snapshot());
    }

    [Fact]
    public async Task GracefulStop_AppIgnoringSigterm_IsKilledAfterTheStopTimeout()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var spec = h.Spec(environment: new Dictionary<string, string> { ["TRAP_TERM"] = "ignore" }, stopTimeout: TimeSpan.FromSeconds(1));
        await h.Executor.ApplyAsync([spec]);
        var running = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running);
        var app = ExecutorHarness.AppPid(running);

        await h.Executor.ApplyAsync([]);
        var stopping = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Stopping);
        Assert.True(ExecutorHarness.IsAlive(app));

        var stopped = await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Stopped, "stopped event");
        Assert.Equal("no longer desired; killed with SIGKILL after the 1 s stop timeout", stopped.Reason);
        Assert.True(stopped.Timestamp - stopping.Since >= TimeSpan.FromSeconds(1));
        Assert.False(ExecutorHarness.IsAlive(app));
    }
}
