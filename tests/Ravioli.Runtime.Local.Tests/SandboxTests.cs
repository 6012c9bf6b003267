using System.Globalization;
using System.Net;
using System.Text.Json;
using Ravioli.Runtime.Local.Processes;

using Ravioli.Core.Apps;

namespace Ravioli.Runtime.Local.Tests;

public sealed class SandboxTests
{
    [Fact]
    public async Task Instance_WithPortCheck_BecomesRunningAndAnswersOnItsPort()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var spec = h.Spec(healthCheck: HealthCheckTypes.Port);
        await h.Executor.ApplyAsync([spec]);

        var running = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running);
        Assert.NotNull(running.Pid);
        Assert.InRange(running.Port!.Value, h.Options.PortRangeStart, h.Options.PortRangeEnd);
        Assert.Equal($"127.0.0.1:{running.Port}", running.Address);
        var hello = await h.GetJsonAsync(running, "/");
        Assert.Equal("ravioli", hello.GetProperty("hello").GetString());
        Assert.Equal(running.Port, hello.GetProperty("port").GetInt32());
        await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Started && e.InstanceGuid == spec.InstanceGuid, "started event");
        await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Running && e.InstanceGuid == spec.InstanceGuid, "running event");
        await h.WaitForAsync(() => h.Output().FirstOrDefault(l => l.Stream == "stdout" && l.Text == $"listening on {running.Port}" && l.Index == 0), "stdout line");
        await h.WaitForAsync(() => h.Output().FirstOrDefault(l => l.Stream == "stderr" && l.Text == "hello on stderr"), "stderr line");
    }

    [Fact]
    public async Task Instance_WithHttpCheck_BecomesRunningOnlyWhenEndpointAnswers200()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var spec = h.Spec(healthCheck: HealthCheckTypes.Http, endpoint: "/health");
        await h.Executor.ApplyAsync([spec]);

        var running = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running);
        using var response = await h.Http.GetAsync($"http://{running.Address}/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await h.WaitForAsync(() => h.Output().FirstOrDefault(l => l.Text == "request /health"), "the health check requests in the app's output");
    }

    [Fact]
    public async Task Sandbox_EnvironmentIsExactlyTheGivenVariablesPlusPort()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var given = new Dictionary<string, string>
        {
            ["HOME"] = "/app",
            ["VCAP_APPLICATION"] = """{"application_name":"test-app","limits":{"mem":256}}""",
            ["TRICKY"] = "it's \"quoted\"\nover two lines $HOME `id`",
        };
        var spec = h.Spec(environment: given);
        await h.Executor.ApplyAsync([spec]);
        var running = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running);

        var whoami = await h.GetJsonAsync(running, "/whoami");
        var env = whoami.GetProperty("env").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        var port = running.Port!.Value.ToString(CultureInfo.InvariantCulture);
        var expected = new Dictionary<string, string?>(given.ToDictionary(kv => kv.Key, kv => (string?)kv.Value))
        {
            ["PORT"] = port,
            ["CF_INSTANCE_PORT"] = port,
            ["CF_INSTANCE_ADDR"] = "127.0.0.1:" + port,
            // /bin/sh, which runs the command, exports its working directory; it is not the host's.
            ["PWD"] = "/app",
        };
        Assert.Equal(expected.OrderBy(kv => kv.Key), env.OrderBy(kv => kv.Key));
        Assert.Equal(spec.InstanceGuid, whoami.GetProperty("hostname").GetString());
        Assert.Equal("/app", whoami.GetProperty("cwd").GetString());
    }

    [Fact]
    public async Task Sandbox_AppRunsAsUid65534WithNoCapabilities()
    {
        await using var h = await ExecutorHarness.StartAsync();
        Assert.Equal(SandboxModes.Bwrap, h.Executor.Isolation.Sandbox);
        Assert.True(h.Executor.Isolation.IsFullyIsolated, string.Join("; ", h.Executor.Isolation.Warnings));
        var spec = h.Spec();
        await h.Executor.ApplyAsync([spec]);
        var running = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running);

        var whoami = await h.GetJsonAsync(running, "/whoami");
        Assert.Equal(65534, whoami.GetProperty("uid").GetInt32());
        Assert.Equal(65534, whoami.GetProperty("gid").GetInt32());
        Assert.Equal("0000000000000000", whoami.GetProperty("capEff").GetString());
        Assert.Equal("0000000000000000", whoami.GetProperty("capPrm").GetString());
        Assert.Equal("0000000000000000", whoami.GetProperty("capBnd").GetString());

        // Seen from the host too: the app is not root in disguise (no uid 0 mapped into a user namespace).
        var appPid = ExecutorHarness.AppPid(running);
        Assert.NotEqual(0, appPid);
        var hostStatus = File.ReadAllLines($"/proc/{appPid}/status");
        Assert.Contains(hostStatus, l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries).Skip(1).All(v => v == "65534"));
    }

    [Fact]
    public async Task Sandbox_HidesOtherInstancesAndPlatformData_AndKeepsSystemDirectoriesReadOnly()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var platformData = Path.Combine(h.Root, "platform-data");
        Directory.CreateDirectory(platformData);
        var secret = Path.Combine(platformData, "secret.txt");
        await File.WriteAllTextAsync(secret, "database password");
        File.SetUnixFileMode(platformData, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(secret, (UnixFileMode)0b110_100_100);

        var a = h.Spec(index: 0);
        var b = h.Spec(index: 1);
        await h.Executor.ApplyAsync([a, b]);
        var runningA = await h.WaitForStateAsync(a.InstanceGuid, InstanceStates.Running);
        var runningB = await h.WaitForStateAsync(b.InstanceGuid, InstanceStates.Running);
        Assert.True((await h.GetJsonAsync(runningB, "/write?path=/app/secret-b.txt&content=b-only")).GetProperty("ok").GetBoolean());
        var bOnHost = Path.Combine(h.Options.StateDirectory, "instances", b.InstanceGuid, "app", "secret-b.txt");
        Assert.True(File.Exists(bOnHost));

        async Task<bool> Ok(InstanceStatus s, string path) => (await h.GetJsonAsync(s, path)).GetProperty("ok").GetBoolean();

        Assert.False(await Ok(runningA, "/read?path=" + Uri.EscapeDataString(bOnHost)));
        Assert.False(await Ok(runningA, "/read?path=/app/secret-b.txt"));
        Assert.False(await Ok(runningA, "/read?path=" + Uri.EscapeDataString(secret)));
        Assert.False(await Ok(runningA, "/exists?path=" + Uri.EscapeDataString(platformData)));
        Assert.False(await Ok(runningA, "/exists?path=" + Uri.EscapeDataString(h.Options.StateDirectory)));
        Assert.False(await Ok(runningA, "/exists?path=/root"));
        Assert.False(await Ok(runningA, "/exists?path=/home"));

        // bwrap's own root and /dev are tmpfs mounts outside every quota: read-only. /dev/shm is capped at the memory limit.
        Assert.False(await Ok(runningA, "/write?path=/evil"));
        Assert.False(await Ok(runningA, "/write?path=/dev/evil"));
        Assert.True(await Ok(runningA, "/write?path=/dev/shm/mine"));
        Assert.False(await Ok(runningA, "/write?path=/usr/evil"));
        Assert.False(await Ok(runningA, "/write?path=/etc/evil"));
        Assert.False(await Ok(runningA, "/write?path=/etc/passwd"));
        Assert.True(await Ok(runningA, "/write?path=/app/mine.txt"));
        Assert.True(await Ok(runningA, "/write?path=/tmp/scratch.txt"));
        Assert.False(File.Exists("/usr/evil"));
        Assert.False(File.Exists("/etc/evil"));

        // /tmp is private per instance.
        Assert.False(await Ok(runningB, "/exists?path=/tmp/scratch.txt"));
    }

    [Fact]
    public async Task Sockets_AnInstanceBindsOnlyItsOwnPort_AndReachesNoOtherInstancePastTheRouter()
    {
        await using var h = await ExecutorHarness.StartAsync();
        Assert.Contains("ports", h.Executor.Isolation.EnforcedLimits);
        var a = h.Spec(index: 0);
        var b = h.Spec(index: 1);
        await h.Executor.ApplyAsync([a, b]);
        var runningA = await h.WaitForStateAsync(a.InstanceGuid, InstanceStates.Running);
        var runningB = await h.WaitForStateAsync(b.InstanceGuid, InstanceStates.Running);
        var free = Enumerable.Range(h.Options.PortRangeStart, h.Options.PortRangeEnd - h.Options.PortRangeStart + 1).First(p => p != runningA.Port && p != runningB.Port);
        // Something on the host outside the instance range, the way the router and the control plane are.
        var listeners = new List<System.Net.Sockets.TcpListener>();
        int outsidePort;
        do
        {
            var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            listeners.Add(listener);
            outsidePort = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        while (outsidePort >= h.Options.PortRangeStart && outsidePort <= h.Options.PortRangeEnd);

        try
        {
            async Task<JsonElement> Ask(string path) => await h.GetJsonAsync(runningA, path);

            // A port the next instance may get, a port outside the range (the platform's own are), and port 0.
            Assert.Contains("PermissionError", (await Ask($"/bind?port={free}")).GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Contains("PermissionError", (await Ask($"/bind?port={outsidePort + 1}")).GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.True((await Ask("/bind?port=0")).GetProperty("ok").GetBoolean());
            // Straight to the other instance: refused; to itself and to anything outside the range: fine.
            Assert.Contains("PermissionError", (await Ask($"/connect?port={runningB.Port}")).GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.True((await Ask($"/connect?port={runningA.Port}")).GetProperty("ok").GetBoolean());
            Assert.True((await Ask($"/connect?port={outsidePort}")).GetProperty("ok").GetBoolean());
            // The rules are the kernel's: a new executor (a node restart) finds them still in force on the adopted instance.
            await h.DisposeExecutorAsync();
            await h.StartExecutorAsync();
            Assert.Contains("PermissionError", (await Ask($"/bind?port={free}")).GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            listeners.ForEach(l => l.Dispose());
        }
    }

    [Fact]
    public async Task Cgroup_LimitsFollowTheSpec()
    {
        await using var h = await ExecutorHarness.StartAsync(o => o with { PidsLimit = 200 });
        Assert.NotEqual("none", h.Executor.Isolation.CgroupVersion);
        var spec = h.Spec(memoryMb: 128);
        await h.Executor.ApplyAsync([spec]);
        var running = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running);

        if (h.Executor.Isolation.CgroupVersion == "v1")
        {
            var memory = h.CgroupDirectory(spec.InstanceGuid, "memory")!;
            Assert.Equal(128L * 1024 * 1024, long.Parse(File.ReadAllText(Path.Combine(memory, "memory.limit_in_bytes")).Trim(), CultureInfo.InvariantCulture));
            Assert.Equal("200", File.ReadAllText(Path.Combine(h.CgroupDirectory(spec.InstanceGuid, "pids")!, "pids.max")).Trim());
            Assert.Equal("128", File.ReadAllText(Path.Combine(h.CgroupDirectory(spec.InstanceGuid, "cpu")!, "cpu.shares")).Trim());
            Assert.Contains(running.Pid!.Value.ToString(CultureInfo.InvariantCulture), File.ReadAllLines(Path.Combine(memory, "cgroup.procs")));
            Assert.Contains(ExecutorHarness.AppPid(running).ToString(CultureInfo.InvariantCulture), File.ReadAllLines(Path.Combine(memory, "cgroup.procs")));
        }
        else
        {
            var dir = h.CgroupDirectory(spec.InstanceGuid, "memory")!;
            Assert.Equal((128L * 1024 * 1024).ToString(CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(dir, "memory.max")).Trim());
            Assert.Equal("200", File.ReadAllText(Path.Combine(dir, "pids.max")).Trim());
        }

        var measured = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running, s => s.MemoryBytes > 0 && s.DiskBytes > 0);
        Assert.InRange(measured.MemoryBytes, 1, 128L * 1024 * 1024);

        await h.Executor.StopAllAsync();
        Assert.False(Directory.Exists(h.CgroupDirectory(spec.InstanceGuid, "memory")));
        Assert.Empty(h.Executor.Snapshot());
        _ = JsonDocument.Parse(await File.ReadAllTextAsync(h.StateFile));
        Assert.False(ExecutorHarness.IsAlive(running.Pid!.Value) && ProcFs.ReadCmdline(running.Pid!.Value)?.Contains(h.Root, StringComparison.Ordinal) == true);
    }
}
