using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Ravioli.Node.Logs;
using Xunit;
using Xunit.Abstractions;

namespace Ravioli.Node.Tests;

/// <summary>
/// An app pushed through the real platform path tries to get out of its sandbox or to hurt others. Every attempt must
/// fail or be contained, the neighbour must keep answering 200 through the router meanwhile, and what the kernel had to
/// stop (memory, disk, processes) must show up as an event. Each test writes what it saw to the test output.
/// </summary>
public sealed partial class HostileAppTests(HostileAppFixture f, ITestOutputHelper output) : IClassFixture<HostileAppFixture>
{
    private static string Q(string value) => Uri.EscapeDataString(value);

    private static bool Worked(JsonElement result) => result.GetProperty("ok").GetBoolean();

    private static string Outcome(JsonElement result) =>
        result.TryGetProperty("error", out var error) ? error.GetString()!
        : result.TryGetProperty("status", out var status) ? status.GetInt32().ToString(CultureInfo.InvariantCulture)
        : result.TryGetProperty("results", out var results) ? string.Join(",", results.EnumerateObject().Select(p => p.Value.GetString()).Distinct())
        : result.ToString();

    private async Task<JsonElement> RefusedAsync(string attempt, string what)
    {
        var result = await f.AttemptAsync(attempt);
        Assert.False(Worked(result), $"{what} worked: {result}");
        return result;
    }

    private async Task<string> NeighbourServedAsync((int Total, int Failures) mark, string what)
    {
        // A quick attempt may finish between two of the watcher's requests: wait for a few that overlap its end.
        await PlatformFixture.EventuallyAsync(() => Task.FromResult(f.Neighbour.Since(mark).Total), n => n >= 3, TimeSpan.FromSeconds(10), "the neighbour to be asked");
        var (total, ok, failures) = f.Neighbour.Since(mark);
        Assert.True(failures.Count == 0, $"the neighbour failed {failures.Count} of {total} requests during {what}: {string.Join(" | ", failures.Take(3))}");
        Assert.True(total > 0, $"the neighbour was not asked during {what}");
        return $"neighbour served {ok}/{total} requests with 200";
    }

    private void Report(string line) => output.WriteLine(line);

    [Fact]
    public async Task Reading_a_neighbours_files_or_environment_or_the_platforms_data_fails()
    {
        await f.BrokersStartedAsync();
        await f.HostileReadyAsync();
        var mark = f.Neighbour.Mark();
        var neighbour = f.Instance(f.NeighbourApp);
        var neighbourFile = Path.Combine(f.InstanceDirectory(neighbour), "app", "server.py");
        Assert.True(File.Exists(neighbourFile));
        var neighbourPids = HostileAppFixture.HostPids(neighbour);
        Assert.NotEmpty(neighbourPids);

        await RefusedAsync("/read?path=" + Q(neighbourFile), "reading the neighbour's code");
        await RefusedAsync("/list?path=" + Q(Path.GetDirectoryName(neighbourFile)!), "listing the neighbour's app directory");
        foreach (var pid in neighbourPids)
        {
            await RefusedAsync($"/read?path=/proc/{pid}/environ", $"reading the environment of the neighbour's pid {pid}");
        }
        var scan = await RefusedAsync("/environ?marker=" + Q(f.NeighbourSecret), "finding the neighbour's secret in any visible /proc/*/environ");
        var visible = scan.GetProperty("visible_pids").GetArrayLength();

        // Every file of the platform's data directory: database, keys, node state, blobs, the brokers' and services' state.
        // Up to 40 files from each top-level entry, so a large blobs/ does not crowd out keys/.
        var files = Directory.EnumerateFiles(f.DataDirectory, "*", SearchOption.AllDirectories)
            .Where(p => !p.StartsWith(Path.Combine(f.DataDirectory, "executor", "instances"), StringComparison.Ordinal))
            .GroupBy(p => Path.GetRelativePath(f.DataDirectory, p).Split('/')[0])
            .SelectMany(g => g.Take(40)).ToList();
        var groups = files.Select(p => Path.GetRelativePath(f.DataDirectory, p).Split('/')[0]).ToHashSet(StringComparer.Ordinal);
        foreach (var required in new[] { "ravioli.db", "keys", "brokers", "node" })
        {
            Assert.True(groups.Contains(required), $"no {required} in the data directory to try: {string.Join(", ", groups)}");
        }
        // The Redis broker runs a server per service instance; until one is created services/ holds directories only.
        Assert.True(Directory.Exists(Path.Combine(f.DataDirectory, "services")));
        var errors = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            errors.Add(Outcome(await RefusedAsync("/read?path=" + Q(file), "reading " + file)));
        }
        foreach (var dir in new[] { "", "keys", "brokers", "services", "node" })
        {
            errors.Add(Outcome(await RefusedAsync("/list?path=" + Q(Path.Combine(f.DataDirectory, dir)), "listing DATA/" + dir)));
        }

        Report($"reads: the neighbour's code, app directory and the /proc/PID/environ of its {neighbourPids.Count} host pids: all refused; " +
            $"a scan of every /proc/*/environ it can see ({visible} pids, its own namespace) found the neighbour's secret 0 times; " +
            $"{files.Count} files of the data directory (ravioli.db, keys/, brokers/, node/, blobs/, executor/) and 5 of its directories (DATA, keys/, brokers/, services/, node/): 0 readable ({string.Join(", ", errors)}); " +
            await NeighbourServedAsync(mark, "the reads"));
    }

    [Fact]
    public async Task Writing_outside_its_own_directory_and_tmp_fails()
    {
        await f.HostileReadyAsync();
        var mark = f.Neighbour.Mark();
        var neighbourApp = Path.Combine(f.InstanceDirectory(f.Instance(f.NeighbourApp)), "app");
        var outside = new[] { "/hostile", "/dev/hostile", "/usr/hostile", "/etc/hostile", "/etc/passwd", "/proc/hostile", "/proc/sys/kernel/hostname",
            Path.Combine(f.DataDirectory, "hostile"), Path.Combine(f.DataDirectory, "keys", "hostile"), Path.Combine(neighbourApp, "hostile") };
        var errors = new List<string>();
        foreach (var path in outside)
        {
            errors.Add($"{path} {Outcome(await RefusedAsync("/write?path=" + Q(path), "writing " + path))}");
        }
        Assert.False(File.Exists(Path.Combine(f.DataDirectory, "hostile")));
        Assert.False(File.Exists(Path.Combine(neighbourApp, "hostile")));
        foreach (var allowed in new[] { "/app/mine", "/tmp/mine", "/dev/shm/mine" })
        {
            Assert.True(Worked(await f.AttemptAsync("/write?path=" + Q(allowed))), "writing " + allowed);
        }
        Report($"writes outside /app and /tmp ({outside.Length} paths): all refused ({string.Join("; ", errors.Select(e => e.Replace(f.DataDirectory, "DATA", StringComparison.Ordinal)))}); /app, /tmp and /dev/shm writable; " + await NeighbourServedAsync(mark, "the writes"));
    }

    [Fact]
    public async Task Signals_reach_neither_the_node_agent_nor_a_neighbour()
    {
        await f.HostileReadyAsync();
        var mark = f.Neighbour.Mark();
        var before = f.Instance(f.NeighbourApp);
        var targets = new List<(int Pid, string Who)> { (Environment.ProcessId, "the node agent") };
        targets.AddRange(HostileAppFixture.HostPids(before).Select(p => (p, "the neighbour")));
        var errors = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (pid, who) in targets)
        {
            errors.Add(Outcome(await RefusedAsync($"/kill?pid={pid}", $"kill -9 {pid} ({who})")));
        }
        errors.Add(Outcome(await RefusedAsync("/kill?pid=-1", "kill -9 -1")));
        await Task.Delay(500);
        var after = f.Instance(f.NeighbourApp);
        Assert.Equal((before.InstanceGuid, before.Pid, before.CrashCount, "RUNNING"), (after.InstanceGuid, after.Pid, after.CrashCount, after.State));
        Report($"signals: kill -9 of the node agent's pid, of the neighbour's {targets.Count - 1} host pids and of -1 (everything it may signal): all refused ({string.Join(", ", errors)}), the neighbour's instance unchanged (same pid, 0 new crashes); " + await NeighbourServedAsync(mark, "the signals"));
    }

    [Fact]
    public async Task Internal_endpoints_refuse_an_app_without_credentials()
    {
        var brokers = await f.BrokersStartedAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, brokers);
        await f.HostileReadyAsync();
        var mark = f.Neighbour.Mark();
        var node = f.Node.ApiAddress.Port;
        var controlPlane = new Uri(f.BaseUrl).Port;
        var forged = "Bearer " + Convert.ToBase64String(Encoding.UTF8.GetBytes("forged"));
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("ravioli-redis-broker:guessed"));
        var attempts = new (int Port, string Path, string? Authorization)[]
        {
            (node, "/v1/instances", null), (node, "/v1/events", null), (node, $"/v1/logs?app_guid={f.NeighbourApp}", null), (node, "/v1/instances", forged),
            (controlPlane, "/internal/v1/desired", null), (controlPlane, "/internal/v1/desired", forged), (controlPlane, "/internal/v1/droplets/" + new string('0', 64), null),
            (controlPlane, "/v3/apps", null), (controlPlane, $"/v3/apps/{f.NeighbourApp}/environment_variables", null),
            (controlPlane, "/brokers/redis/v2/catalog", null), (controlPlane, "/brokers/redis/v2/catalog", basic),
        };
        foreach (var (port, path, authorization) in attempts)
        {
            var query = $"/http?port={port}&path={Q(path)}" + (authorization is null ? "" : "&authorization=" + Q(authorization));
            var result = await RefusedAsync(query, $"GET {path} on port {port}");
            Assert.True(result.TryGetProperty("status", out var status) && status.GetInt32() == 401, $"GET {path} on port {port}: {result}");
        }
        Report($"internal endpoints: {attempts.Length} requests from inside the app (node API /v1/instances, /v1/events, /v1/logs; control plane /internal/v1/desired, /internal/v1/droplets, /v3/apps, the neighbour's environment; the Redis broker's /brokers/redis/v2/catalog), without or with forged credentials: all 401; " + await NeighbourServedAsync(mark, "the requests"));
    }

    [Fact]
    public async Task Ports_of_the_platform_and_of_other_instances_cannot_be_bound()
    {
        await f.HostileReadyAsync();
        var mark = f.Neighbour.Mark();
        var instances = f.Node.Executor.Snapshot();
        var taken = instances.Where(s => s.Port is not null).Select(s => s.Port!.Value).ToHashSet();
        var next = Enumerable.Range(taken.Max() + 1, 4).Where(p => p <= 61999).ToList();
        var ports = new List<(int Port, string What)>
        {
            (f.Node.RouterAddress.Port, "the router"), (f.Http2Port, "the router's h2c port"), (f.Node.ApiAddress.Port, "the node API"),
            (new Uri(f.BaseUrl).Port, "the control plane"), (f.Instance(f.NeighbourApp).Port!.Value, "the neighbour's instance"),
        };
        ports.AddRange(next.Select(p => (p, "a free instance port the next instance may get")));
        var outcomes = new List<string>();
        foreach (var (port, what) in ports)
        {
            outcomes.Add($"{what} {port}: {Outcome(await RefusedAsync($"/bind?port={port}", $"binding {what}'s port {port}"))}");
        }
        // Not a deny-all: port 0 (the kernel picks an ephemeral port) is still the app's to use.
        Assert.True(Worked(await f.AttemptAsync("/bind?port=0")), "binding port 0");
        Report($"binding ports (127.0.0.1, 0.0.0.0 and [::], with SO_REUSEADDR and SO_REUSEPORT): {string.Join("; ", outcomes)}; port 0 still binds; " + await NeighbourServedAsync(mark, "the binds"));
    }

    [Fact]
    public async Task A_neighbour_instance_cannot_be_reached_past_the_router()
    {
        await f.HostileReadyAsync();
        var mark = f.Neighbour.Mark();
        var port = f.Instance(f.NeighbourApp).Port!.Value;
        var result = await RefusedAsync($"/connect?port={port}", "connecting straight to the neighbour's instance port");
        // The router, the way apps reach each other, stays reachable.
        Assert.True(Worked(await f.AttemptAsync($"/connect?port={f.Node.RouterAddress.Port}")), "connecting to the router");
        Report($"connecting straight to the neighbour's instance port {port}, past the router: {Outcome(result)} (the router itself stays reachable); " + await NeighbourServedAsync(mark, "the connect"));
    }

    [Fact]
    public async Task While_the_node_agent_is_down_an_app_cannot_take_its_ports()
    {
        await f.HostileReadyAsync();
        var hostile = f.Instance(f.HostileApp);
        var neighbourBefore = f.Instance(f.NeighbourApp);
        var nodePort = f.Node.ApiAddress.Port;
        f.PauseNeighbourWatch(true);
        var outcomes = new List<string>();
        try
        {
            await f.StopNodeAsync();
            // The router is down with the node: the app is asked straight on its port, as an attacker inside it would act.
            using var direct = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{hostile.Port}"), Timeout = TimeSpan.FromSeconds(20) };
            foreach (var (port, what) in new[] { (nodePort, "the node API"), (f.Http2Port, "the router's h2c port") })
            {
                var result = JsonDocument.Parse(await direct.GetStringAsync($"/bind?port={port}")).RootElement.Clone();
                outcomes.Add($"{what} {port}: {Outcome(result)}");
                Assert.False(Worked(result), $"with the node down, binding {what}'s port {port} worked: {result}");
            }
        }
        finally
        {
            await f.StartNodeAsync();
            f.PauseNeighbourWatch(false);
        }
        using var neighbour = f.RouterClient(f.NeighbourHost);
        await PlatformFixture.EventuallyAsync(() => PlatformFixture.GetAsync(neighbour), r => r.StartsWith("200 neighbour ok", StringComparison.Ordinal), HostileAppFixture.Bound, "the neighbour through the restarted node");
        // Re-adopted, not restarted: the same processes serve on.
        var neighbourAfter = f.Instance(f.NeighbourApp);
        var hostileAfter = f.Instance(f.HostileApp);
        Assert.Equal((neighbourBefore.InstanceGuid, neighbourBefore.Pid), (neighbourAfter.InstanceGuid, neighbourAfter.Pid));
        Assert.Equal((hostile.InstanceGuid, hostile.Pid), (hostileAfter.InstanceGuid, hostileAfter.Pid));
        var mark = f.Neighbour.Mark();
        await Task.Delay(500);
        Report($"with the node agent stopped (apps keep running), binding its ports from the app: {string.Join("; ", outcomes)}; the node restarted on them and re-adopted both apps (same pids); " + await NeighbourServedAsync(mark, "the requests after the restart"));
    }

    [Fact]
    public async Task A_fork_bomb_is_capped_by_the_pids_limit_and_reported()
    {
        await f.HostileReadyAsync();
        var hostile = f.Instance(f.HostileApp);
        var pids = f.PidsCgroup(hostile);
        var max = int.Parse(File.ReadAllText(Path.Combine(pids, "pids.max")).Trim(), CultureInfo.InvariantCulture);
        var mark = f.Neighbour.Mark();
        var highest = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                highest = Math.Max(highest, int.Parse(File.ReadAllText(Path.Combine(pids, "pids.current")).Trim(), CultureInfo.InvariantCulture));
                await Task.Delay(20);
            }
        });
        var watch = Stopwatch.StartNew();
        var bomb = await f.AttemptAsync("/forkbomb?seconds=4", TimeSpan.FromSeconds(60));
        watch.Stop();
        await sampling.CancelAsync();
        await sampler;
        var refusals = InstanceCgroupValue(Path.Combine(pids, "pids.events"), "max");
        var served = await NeighbourServedAsync(mark, "the fork bomb");

        Assert.InRange(highest, 1, max);
        Assert.True(refusals > 0, $"the bomb never reached the pids limit ({max}); highest {highest}");
        var after = f.Instance(f.HostileApp);
        Assert.Equal((hostile.InstanceGuid, hostile.Pid, hostile.CrashCount), (after.InstanceGuid, after.Pid, after.CrashCount));
        Assert.True(Worked(await f.AttemptAsync("/ping")), "the app itself answers again after its bomb");

        // The node says what happened: a warning event in the node's event log and a CELL line in the app's logs.
        var warning = await PlatformFixture.EventuallyAsync(
            () => Task.FromResult(f.Node.Api.Services.GetRequiredService<NodeEventLog>().Since(0, 10_000).LastOrDefault(e => e.AppGuid == f.HostileApp && e.Type == "warning" && e.Reason!.Contains("pids limit", StringComparison.Ordinal))),
            e => e is not null, TimeSpan.FromSeconds(20), "a pids-limit warning event");
        Assert.Contains("pids limit", await f.RecentLogsAsync(f.HostileApp), StringComparison.Ordinal);
        Report($"fork bomb (4 s of `b() {{ b & b & wait; }}; b`): pids capped at {max} (highest sampled {highest}, {refusals} forks refused by the kernel, the app's own probe forks refused {bomb.GetProperty("probe_refused").GetInt32()} times with {bomb.GetProperty("first_error")}); " +
            $"the app survived (0 crashes) and answered afterwards; event: \"{warning!.Reason}\"; {served}");
    }

    [Fact]
    public async Task Filling_the_disk_stops_the_app_with_disk_quota_exceeded()
    {
        await f.HostileReadyAsync();
        var mark = f.Neighbour.Mark();
        var crashesBefore = (await f.CrashEventsAsync(f.HostileApp)).Count(e => e.GetProperty("reason").GetString() == "disk quota exceeded");

        var tmp = await f.AttemptAsync("/fill?dir=/tmp&mib=256");
        Assert.False(Worked(tmp), $"256 MiB fitted into /tmp: {tmp}");
        var tmpMib = tmp.GetProperty("mib").GetInt32();
        Assert.InRange(tmpMib, 1, HostileAppFixture.HostileDiskMb);
        await WaitForCrashAsync("disk quota exceeded", crashesBefore + 1);

        await f.HostileReadyAsync();
        var watch = Stopwatch.StartNew();
        try
        {
            await f.AttemptAsync("/fill?dir=/app&mib=512", TimeSpan.FromSeconds(60));
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or TaskCanceledException)
        {
            // Killed midway, as it should be: the router answers 502 or the connection drops.
        }
        var crash = await WaitForCrashAsync("disk quota exceeded", crashesBefore + 2);
        watch.Stop();
        var filled = FilledAppLine().Matches(await f.RecentLogsAsync(f.HostileApp)).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
        await f.HostileReadyAsync();
        var fresh = f.Instance(f.HostileApp);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(f.InstanceDirectory(fresh), "app"), "fill-*"));
        Report($"disk (quota {HostileAppFixture.HostileDiskMb} MiB): /tmp filled to {tmpMib} MiB, then ENOSPC (a tmpfs capped at the quota); " +
            $"/app filled with 1 MiB files as fast as Python writes: {filled} MiB written (of 512 tried) before the node killed it, {watch.Elapsed.TotalSeconds:0.0} s from the first write to the crash event; " +
            $"2 crash events \"disk quota exceeded\" (exit code {crash.GetProperty("exit_code")}); restarted from a fresh copy of the droplet; " + await NeighbourServedAsync(mark, "the disk fills"));
    }

    [Fact]
    public async Task Allocating_past_the_memory_limit_is_an_oom_kill_with_that_reason()
    {
        await f.HostileReadyAsync();
        var mark = f.Neighbour.Mark();
        var before = (await f.CrashEventsAsync(f.HostileApp)).Count(e => e.GetProperty("reason").GetString() == "out of memory");
        try
        {
            await f.AttemptAsync($"/allocate?mib={4 * HostileAppFixture.HostileMemoryMb}", TimeSpan.FromSeconds(60));
            Assert.Fail($"the app allocated {4 * HostileAppFixture.HostileMemoryMb} MiB with a {HostileAppFixture.HostileMemoryMb} MiB limit");
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or TaskCanceledException)
        {
        }
        var crash = await WaitForCrashAsync("out of memory", before + 1);
        Assert.Equal(137, crash.GetProperty("exit_code").GetInt32());
        var held = HoldingLine().Matches(await f.RecentLogsAsync(f.HostileApp)).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
        Assert.InRange(held, 1, HostileAppFixture.HostileMemoryMb);
        await f.HostileReadyAsync();
        Report($"memory (limit {HostileAppFixture.HostileMemoryMb} MiB, swap included): allocating {4 * HostileAppFixture.HostileMemoryMb} MiB got to {held} MiB, then the kernel's OOM killer; crash event \"out of memory\", exit code 137 (audit.app.process.crash); restarted; " + await NeighbourServedAsync(mark, "the allocation"));
    }

    private async Task<JsonElement> WaitForCrashAsync(string reason, int count)
    {
        var crashes = await PlatformFixture.EventuallyAsync(() => f.CrashEventsAsync(f.HostileApp),
            c => c.Count(e => e.GetProperty("reason").GetString() == reason) >= count, HostileAppFixture.Bound, $"{count} crash events \"{reason}\"");
        return crashes.First(e => e.GetProperty("reason").GetString() == reason);
    }

    [GeneratedRegex(@"holding (\d+) MiB")]
    private static partial Regex HoldingLine();

    [GeneratedRegex(@"filled (\d+) MiB in /app")]
    private static partial Regex FilledAppLine();

    private static long InstanceCgroupValue(string file, string key) =>
        File.ReadAllLines(file).Select(l => l.Split(' ')).Where(p => p.Length == 2 && p[0] == key).Select(p => long.Parse(p[1], CultureInfo.InvariantCulture)).FirstOrDefault();
}
