using Ravioli.Core.Apps;

namespace Ravioli.Runtime.Local.Tests;

/// <summary>Run-once instances: the executor's tasks (rav run-task) end instead of being restarted.</summary>
public sealed class TaskTests
{
    [Fact]
    public async Task A_task_that_exits_0_succeeds_and_is_not_run_again()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var marker = "/app/ran-" + Guid.NewGuid().ToString("N");
        var spec = h.Spec(command: $"echo migrating; echo x >> {marker}; exit 0", healthCheck: HealthCheckTypes.Process) with { RunOnce = true };
        await h.Executor.ApplyAsync([spec]);

        var done = await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Completed && e.InstanceGuid == spec.InstanceGuid, "completion event");
        Assert.Equal(0, done.ExitCode);
        Assert.Null(done.Reason);
        var status = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Succeeded);
        Assert.Equal(0, status.LastExitCode);
        Assert.Null(status.NextRestartAt);

        // Given time to restart (it must not), it stays SUCCEEDED with no crash counted.
        await Task.Delay(1500);
        var later = h.Executor.Snapshot().Single(s => s.InstanceGuid == spec.InstanceGuid);
        Assert.Equal((InstanceStates.Succeeded, 0), (later.State, later.CrashCount));
        Assert.DoesNotContain(h.Events(), e => e.Type == InstanceEventTypes.Crashed && e.InstanceGuid == spec.InstanceGuid);
    }

    [Fact]
    public async Task A_failing_task_fails_with_its_exit_code_and_is_not_retried()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var spec = h.Spec(command: "echo broken >&2; exit 4", healthCheck: HealthCheckTypes.Process) with { RunOnce = true };
        await h.Executor.ApplyAsync([spec]);

        var done = await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Completed && e.InstanceGuid == spec.InstanceGuid, "completion event");
        Assert.Equal((4, "exited with code 4"), (done.ExitCode, done.Reason));
        await Task.Delay(1500);
        Assert.Single(h.Events(), e => e.Type == InstanceEventTypes.Started && e.InstanceGuid == spec.InstanceGuid);
        Assert.Equal(InstanceStates.Failed, h.Executor.Snapshot().Single(s => s.InstanceGuid == spec.InstanceGuid).State);
    }
}
