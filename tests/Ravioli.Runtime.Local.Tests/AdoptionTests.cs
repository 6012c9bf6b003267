using System.Globalization;
using Ravioli.Runtime.Local.Processes;

using Ravioli.Core.Apps;

namespace Ravioli.Runtime.Local.Tests;

public sealed class AdoptionTests
{
    [Fact]
    public async Task NewExecutor_ReadoptsRunningInstances_WithoutDuplicates_AndStillSupervisesThem()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var a = h.Spec(index: 0);
        var b = h.Spec(index: 1, healthCheck: HealthCheckTypes.Http, endpoint: "/health");
        await h.Executor.ApplyAsync([a, b]);
        var runningA = await h.WaitForStateAsync(a.InstanceGuid, InstanceStates.Running);
        var runningB = await h.WaitForStateAsync(b.InstanceGuid, InstanceStates.Running);
        var appA = ExecutorHarness.AppPid(runningA);
        await h.WaitForAsync(() => h.Output().FirstOrDefault(l => l.InstanceGuid == a.InstanceGuid && l.Text.StartsWith("listening", StringComparison.Ordinal)), "first output");

        await h.DisposeExecutorAsync();

        // The node agent went away; its apps did not.
        Assert.True(ExecutorHarness.IsAlive(runningA.Pid!.Value));
        Assert.True(ExecutorHarness.IsAlive(runningB.Pid!.Value));
        Assert.True(ExecutorHarness.IsAlive(appA));
        Assert.Equal("ravioli", (await h.GetJsonAsync(runningA, "/")).GetProperty("hello").GetString());
        var whileAway = await h.GetJsonAsync(runningA, "/while-away");

        await h.StartExecutorAsync();

        var adoptedA = await h.WaitForStateAsync(a.InstanceGuid, InstanceStates.Running);
        var adoptedB = await h.WaitForStateAsync(b.InstanceGuid, InstanceStates.Running);
        Assert.Equal(runningA.Pid, adoptedA.Pid);
        Assert.Equal(runningB.Pid, adoptedB.Pid);
        Assert.Equal(runningA.Port, adoptedA.Port);
        Assert.Equal(2, h.Executor.Snapshot().Count);

        // No duplicates: still one app process per instance, and nothing was started.
        await Task.Delay(500);
        Assert.DoesNotContain(h.Events(), e => e.Type == InstanceEventTypes.Started);
        var serverProcesses = ProcFs.All().Count(p => ProcFs.ReadCmdline(p.Pid) is { } cmd && cmd.StartsWith("python3 server.py", StringComparison.Ordinal)
            && ProcFs.Descendants([runningA.Pid!.Value, runningB.Pid!.Value], ProcFs.All()).Contains(p.Pid));
        Assert.Equal(2, serverProcesses);

        // Output is re-tailed from where the previous executor stopped: what came while away, not what came before.
        await h.WaitForAsync(() => h.Output().FirstOrDefault(l => l.InstanceGuid == a.InstanceGuid && l.Text == "request /while-away"), "output written while no executor ran");
        Assert.DoesNotContain(h.Output(), l => l.InstanceGuid == a.InstanceGuid && l.Text.StartsWith("listening", StringComparison.Ordinal));

        // A crash of an adopted (not our child) instance is still detected and restarted.
        Assert.True(Native.Kill(appA, Native.SigKill));
        var crash = await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Crashed && e.InstanceGuid == a.InstanceGuid, "crash of the adopted instance");
        Assert.Equal("exited with code 137", crash.Reason);
        var restarted = await h.WaitForStateAsync(a.InstanceGuid, InstanceStates.Running, s => s.Pid != runningA.Pid);
        Assert.Equal("ravioli", (await h.GetJsonAsync(restarted, "/")).GetProperty("hello").GetString());
        Assert.Equal(runningB.Pid, h.Status(b.InstanceGuid)!.Pid);
        _ = whileAway;
    }

    [Fact]
    public async Task NewExecutor_InstanceThatDiedWhileNobodyWatched_IsACrash_AndRestarted()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var spec = h.Spec();
        await h.Executor.ApplyAsync([spec]);
        var running = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running);
        var app = ExecutorHarness.AppPid(running);
        await h.DisposeExecutorAsync();

        Native.Kill(app, Native.SigKill);
        await h.WaitForAsync(() => ExecutorHarness.IsAlive(running.Pid!.Value) ? null : "", "the wrapper to record the exit");
        Assert.Equal("137", File.ReadAllText(Path.Combine(h.Options.StateDirectory, "instances", spec.InstanceGuid, "exit_code")).Trim());

        await h.StartExecutorAsync();

        var crash = await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Crashed, "crash found at start");
        Assert.Equal("exited with code 137", crash.Reason);
        var restarted = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running, s => s.Pid != running.Pid);
        Assert.Equal(1, restarted.CrashCount);
        Assert.Single(h.Executor.Snapshot());
    }

    [Fact]
    public async Task NewExecutor_RecycledPid_IsNotMistakenForTheWrapper()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var spec = h.Spec();
        await h.Executor.ApplyAsync([spec]);
        var running = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running);
        await h.DisposeExecutorAsync();

        // Pretend the recorded pid now belongs to another process: same pid, different start time.
        var state = await File.ReadAllTextAsync(h.StateFile);
        var startTime = ProcFs.ReadStat(running.Pid!.Value)!.Value.StartTime;
        var forged = state.Replace($"\"wrapperStartTime\": {startTime.ToString(CultureInfo.InvariantCulture)}", $"\"wrapperStartTime\": {(startTime + 1).ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal);
        Assert.NotEqual(state, forged);
        await File.WriteAllTextAsync(h.StateFile, forged);

        await h.StartExecutorAsync();

        // Not adopted: judged as ended while away; the real wrapper (which it does not own) is left alone
        // by pid but its cgroup is its own, so the run is cleaned up and a new one started.
        await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Crashed, "crash verdict");
        var restarted = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running, s => s.Pid != running.Pid);
        Assert.NotNull(restarted.Pid);
        Assert.Single(h.Executor.Snapshot());
    }
}
