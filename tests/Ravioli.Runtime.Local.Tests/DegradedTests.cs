namespace Ravioli.Runtime.Local.Tests;

public sealed class DegradedTests
{
    [Fact]
    public async Task WithoutBwrapOrCgroups_InstancesRunWithALoudWarning()
    {
        var emptyCgroupFs = Path.Combine(Path.GetTempPath(), "ravioli-runtime-tests", "no-cgroups-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(emptyCgroupFs);
        try
        {
            await using var h = await ExecutorHarness.StartAsync(o => o with { BwrapPath = "/nonexistent/bwrap", CgroupFsRoot = emptyCgroupFs });
            Assert.Equal(SandboxModes.None, h.Executor.Isolation.Sandbox);
            Assert.Equal("none", h.Executor.Isolation.CgroupVersion);
            Assert.False(h.Executor.Isolation.IsFullyIsolated);
            Assert.Contains(h.Executor.Isolation.Warnings, w => w.Contains("bubblewrap not found", StringComparison.Ordinal));
            Assert.Contains(h.Executor.Isolation.Warnings, w => w.StartsWith("no cgroup limits", StringComparison.Ordinal));

            var spec = h.Spec();
            await h.Executor.ApplyAsync([spec]);
            var running = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running);
            var warning = await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Warning, "warning event");
            Assert.Contains("isolation degraded", warning.Reason, StringComparison.Ordinal);

            // Still the given environment, still a dropped uid where the executor is root.
            var whoami = await h.GetJsonAsync(running, "/whoami");
            Assert.Equal(running.Port.ToString(), whoami.GetProperty("env").GetProperty("PORT").GetString());
            Assert.False(whoami.GetProperty("env").TryGetProperty("PATH", out _));
            Assert.Equal(65534, whoami.GetProperty("uid").GetInt32());

            // Without cgroups, stats come from /proc.
            await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running, s => s.MemoryBytes > 0);

            var app = ExecutorHarness.AppPid(running);
            await h.Executor.StopAllAsync();
            Assert.False(ExecutorHarness.IsAlive(app));
        }
        finally
        {
            Directory.Delete(emptyCgroupFs, recursive: true);
        }
    }

    [Fact]
    public async Task RequireSandbox_WithoutIsolation_RefusesToStart()
    {
        var state = Path.Combine(Path.GetTempPath(), "ravioli-runtime-tests", "require-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var executor = new LocalExecutor(new LocalExecutorOptions { StateDirectory = state, BwrapPath = "/nonexistent/bwrap", RequireSandbox = true });
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => executor.StartAsync());
            Assert.Contains("bubblewrap not found", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }
}
