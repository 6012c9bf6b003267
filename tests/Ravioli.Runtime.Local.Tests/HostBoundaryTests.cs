using System.IO.Pipes;
using System.Net;
using System.Net.Sockets;
using Ravioli.Runtime.Local.Processes;

using Ravioli.Core.Apps;

namespace Ravioli.Runtime.Local.Tests;

/// <summary>What ties an instance to the executor process (nothing may) and what it takes from the host.</summary>
public sealed class HostBoundaryTests
{
    [Fact]
    public async Task Instance_RunsInItsOwnSession_WithNoDescriptorOfTheExecutor()
    {
        // An inheritable pipe, like one a CI runner or init script hands the node agent.
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.Inheritable);
        var inherited = File.ResolveLinkTarget($"/proc/self/fd/{pipe.GetClientHandleAsString()}", returnFinalTarget: false)!.FullName;
        Assert.StartsWith("pipe:", Path.GetFileName(inherited), StringComparison.Ordinal);

        await using var h = await ExecutorHarness.StartAsync();
        var spec = h.Spec();
        await h.Executor.ApplyAsync([spec]);
        var running = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running);
        var wrapper = running.Pid!.Value;
        var app = ExecutorHarness.AppPid(running);

        var wrapperStat = ProcFs.ReadStat(wrapper)!.Value;
        Assert.Equal(wrapper, wrapperStat.Session);
        Assert.NotEqual(ProcFs.ReadStat(Environment.ProcessId)!.Value.Session, wrapperStat.Session);

        foreach (var pid in ProcFs.Descendants([wrapper], ProcFs.All()).Append(wrapper))
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                var target = File.ResolveLinkTarget(fd, returnFinalTarget: false)?.FullName ?? "";
                Assert.False(Path.GetFileName(target) == Path.GetFileName(inherited), $"pid {pid} holds the executor's pipe as fd {Path.GetFileName(fd)}");
            }
        }

        // The app's standard streams are files, so nothing the executor does (or its death) can SIGPIPE it.
        Assert.Equal("/dev/null", File.ResolveLinkTarget($"/proc/{app}/fd/0", false)!.FullName);
        Assert.EndsWith("logs/stdout.log", File.ResolveLinkTarget($"/proc/{app}/fd/1", false)!.FullName, StringComparison.Ordinal);
        Assert.EndsWith("logs/stderr.log", File.ResolveLinkTarget($"/proc/{app}/fd/2", false)!.FullName, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ports_AlreadyInUseOnTheHost_AreSkipped()
    {
        await using var h = await ExecutorHarness.StartAsync();
        using var squatter = new TcpListener(IPAddress.Loopback, h.Options.PortRangeStart);
        try
        {
            squatter.Start();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            // Another process on this busy machine holds the port already: the very condition under test.
        }
        var specs = new[] { h.Spec(index: 0), h.Spec(index: 1) };
        await h.Executor.ApplyAsync(specs);

        var a = await h.WaitForStateAsync(specs[0].InstanceGuid, InstanceStates.Running);
        var b = await h.WaitForStateAsync(specs[1].InstanceGuid, InstanceStates.Running);
        Assert.NotEqual(h.Options.PortRangeStart, a.Port);
        Assert.NotEqual(h.Options.PortRangeStart, b.Port);
        Assert.NotEqual(a.Port, b.Port);
    }

    [Fact]
    public async Task CrashCount_IsReset_AfterRunningForTheConfiguredTime()
    {
        await using var h = await ExecutorHarness.StartAsync(o => o with { CrashCountResetAfter = TimeSpan.FromSeconds(1) });
        var spec = h.Spec();
        await h.Executor.ApplyAsync([spec]);
        var first = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running);
        Native.Kill(ExecutorHarness.AppPid(first), Native.SigKill);
        await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running, s => s.Pid != first.Pid && s.CrashCount == 1);

        var reset = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running, s => s.CrashCount == 0);
        Assert.Equal("exited with code 137", reset.LastCrashReason);
    }

    [Fact]
    public async Task Output_IsDeliveredInOrder_AndTheLogFileStaysBounded()
    {
        await using var h = await ExecutorHarness.StartAsync(o => o with { MaxLogFileBytes = 4096 });
        var spec = h.Spec(
            command: "i=0; while [ $i -lt 400 ]; do echo \"line $i ................................................\"; i=$((i+1)); sleep 0.005; done; exec sleep 60",
            healthCheck: HealthCheckTypes.Process);
        await h.Executor.ApplyAsync([spec]);

        await h.WaitForAsync(() => h.Output().FirstOrDefault(l => l.Text.StartsWith("line 399 ", StringComparison.Ordinal)), "the last line");
        var numbers = h.Output().Where(l => l.Text.StartsWith("line ", StringComparison.Ordinal)).Select(l => int.Parse(l.Text.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(numbers.Order(), numbers);
        Assert.True(numbers.Count >= 390, $"only {numbers.Count} of 400 lines arrived");

        var log = Path.Combine(h.Options.StateDirectory, "instances", spec.InstanceGuid, "logs", "stdout.log");
        await h.WaitForAsync(() => new FileInfo(log).Length < 400 * 60 ? "" : null, "the log file to be truncated");
    }
}
