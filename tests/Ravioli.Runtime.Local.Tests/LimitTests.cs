using System.Diagnostics;
using System.Globalization;

using Ravioli.Core.Apps;

namespace Ravioli.Runtime.Local.Tests;

public sealed class LimitTests
{
    [Fact]
    public async Task Oom_AppAllocatingBeyondItsMemoryLimit_IsKilled_ReasonOutOfMemory()
    {
        await using var h = await ExecutorHarness.StartAsync();
        Assert.NotEqual("none", h.Executor.Isolation.CgroupVersion);
        var spec = h.Spec(command: "python3 oom.py", healthCheck: HealthCheckTypes.Process, memoryMb: 64);
        await h.Executor.ApplyAsync([spec]);

        var crash = await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Crashed, "crash event");
        Assert.Equal("out of memory", crash.Reason);
        Assert.Equal(137, crash.ExitCode);
        // It got close to the limit before being killed, and not past it.
        var held = h.Output().Where(l => l.Text.StartsWith("holding ", StringComparison.Ordinal)).Select(l => int.Parse(l.Text.Split(' ')[1], CultureInfo.InvariantCulture)).ToList();
        Assert.NotEmpty(held);
        Assert.InRange(held.Max(), 8, 64);
    }

    [Fact]
    public async Task ForkBomb_IsContainedByThePidsLimit_AndTheHostStaysResponsive()
    {
        await using var h = await ExecutorHarness.StartAsync(o => o with { PidsLimit = 64 });
        Assert.NotEqual("none", h.Executor.Isolation.CgroupVersion);
        var spec = h.Spec(command: "python3 forkbomb.py", healthCheck: HealthCheckTypes.Process, memoryMb: 1024, stopTimeout: TimeSpan.FromSeconds(1));
        await h.Executor.ApplyAsync([spec]);
        var running = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running);

        var pidsDir = h.Executor.Isolation.CgroupVersion == "v1" ? h.CgroupDirectory(spec.InstanceGuid, "pids")! : h.CgroupDirectory(spec.InstanceGuid, "pids")!;
        int Current() => int.Parse(File.ReadAllText(Path.Combine(pidsDir, "pids.current")).Trim(), CultureInfo.InvariantCulture);
        await h.WaitForAsync(() => Current() >= 60 ? "" : null, "the bomb to reach the limit", TimeSpan.FromSeconds(20));

        // Bounded observation while the bomb keeps trying: it never gets past the limit, and the host can still start processes.
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(2))
        {
            Assert.InRange(Current(), 1, 64);
            await Task.Delay(100);
        }

        // The spinning bomb shows up in the CPU statistics read from the cgroup, and the refused forks as a warning event.
        await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running, s => s.CpuPercent > 0 && s.MemoryBytes > 0);
        var warning = await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Warning && e.InstanceGuid == spec.InstanceGuid, "a pids-limit warning");
        Assert.StartsWith("pids limit reached: the kernel refused ", warning.Reason, StringComparison.Ordinal);
        Assert.EndsWith("(at most 64 per instance)", warning.Reason, StringComparison.Ordinal);

        var (exitCode, output) = await ExecutorHarness.RunAsync("/bin/echo", "still responsive");
        Assert.Equal(0, exitCode);
        Assert.Equal("still responsive\n", output);
        Assert.InRange(int.Parse(File.ReadAllText(Path.Combine(pidsDir, "pids.max")).Trim(), CultureInfo.InvariantCulture), 64, 64);

        await h.Executor.StopAllAsync();
        Assert.False(Directory.Exists(pidsDir));
        Assert.False(ExecutorHarness.IsAlive(running.Pid!.Value) && File.Exists($"/proc/{running.Pid}/cmdline") && File.ReadAllText($"/proc/{running.Pid}/cmdline").Contains(h.Root, StringComparison.Ordinal));
    }

    [Fact]
    public async Task DiskQuota_Exceeded_StopsTheInstanceWithThatReason()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var spec = h.Spec(command: "head -c 20000000 /dev/zero > /app/big.bin && echo written && exec sleep 60", healthCheck: HealthCheckTypes.Process, diskMb: 8, stopTimeout: TimeSpan.FromSeconds(1));
        await h.Executor.ApplyAsync([spec]);

        var crash = await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Crashed, "crash event");
        Assert.Equal("disk quota exceeded", crash.Reason);
        // SIGKILL, no graceful stop; often before `head` is done: a fast fill is noticed at the next monitor tick.
        Assert.Equal(137, crash.ExitCode);
    }

    [Fact]
    public async Task DiskQuota_CountsTheSandboxTmp_WhichIsCappedAtTheQuota()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var spec = h.Spec(command: "head -c 6000000 /dev/zero > /tmp/a.bin; head -c 6000000 /dev/zero > /tmp/b.bin || echo tmp full; exec sleep 60", healthCheck: HealthCheckTypes.Process, diskMb: 8, stopTimeout: TimeSpan.FromSeconds(1));
        await h.Executor.ApplyAsync([spec]);

        await h.WaitForAsync(() => h.Output().FirstOrDefault(l => l.Text == "tmp full"), "the tmpfs to fill up");
        var crash = await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Crashed, "crash event");
        Assert.Equal("disk quota exceeded", crash.Reason);
    }
}
