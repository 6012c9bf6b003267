using System.Diagnostics;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Ravioli.EndToEnd.Tests;

/// <summary>Apps keep serving while the control plane dies, and a restarted node adopts its instances instead of starting new ones.</summary>
public sealed class ResilienceTests(Platform platform, ITestOutputHelper output) : IClassFixture<Platform>
{
    private async Task PushTwoInstancesAsync(string name)
    {
        var directory = await PushTests.CopySampleAsync("python");
        try
        {
            var push = await platform.RavInAsync(directory, "push", name, "-i", "2", "--no-manifest");
            Assert.True(push.ExitCode == 0, push.ToString());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Runs requests until stopped; returns (total, failures).</summary>
    private static (Task<(int Total, List<string> Failures)> Loop, CancellationTokenSource Stop) RequestLoop(HttpClient client)
    {
        var stop = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            var failures = new List<string>();
            var total = 0;
            while (!stop.IsCancellationRequested)
            {
                var answer = await Platform.GetAsync(client);
                total++;
                if (!answer.StartsWith("200", StringComparison.Ordinal))
                {
                    failures.Add(answer);
                }
                await Task.Delay(10);
            }
            return (total, failures);
        });
        return (loop, stop);
    }

    [Fact]
    public async Task Killing_and_restarting_the_control_plane_fails_no_request()
    {
        await PushTwoInstancesAsync("steady");
        using var client = platform.Router("steady.apps.localhost");
        var (loop, stop) = RequestLoop(client);
        var clock = Stopwatch.StartNew();
        const int Restarts = 10;
        for (var round = 0; round < Restarts; round++)
        {
            await Task.Delay(300);
            await platform.KillControlPlaneAsync();
            await platform.StartAsync();
        }
        await Task.Delay(500);
        await stop.CancelAsync();
        var (total, failures) = await loop;
        output.WriteLine($"control plane SIGKILLed and restarted {Restarts} times in {clock.Elapsed.TotalSeconds:F0} s: {total} requests, {failures.Count} failed");
        Assert.True(failures.Count == 0, $"{failures.Count} of {total} requests failed: {string.Join(" | ", failures.Take(5))}");
        Assert.True(total > 100, $"only {total} requests ran");
        Assert.Equal(0, (await platform.RavAsync("app", "steady")).ExitCode);
    }

    /// <summary>
    /// The node agent (executor and router in one process) SIGKILLed under a request loop and started again at once, as a
    /// supervisor would: its instances are adopted (same pids, none added), routing resumes, and the errors of the gap are counted.
    /// </summary>
    [Fact]
    public async Task Killing_the_node_under_load_readopts_its_instances_and_routing_resumes()
    {
        await PushTwoInstancesAsync("loaded");
        var before = InstancePids();
        using var client = platform.Router("loaded.apps.localhost");
        var answers = new List<(TimeSpan At, bool Ok)>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var ok = (await Platform.GetAsync(client)).StartsWith("200", StringComparison.Ordinal);
                lock (answers)
                {
                    answers.Add((clock.Elapsed, ok));
                }
                await Task.Delay(10);
            }
        });
        await Task.Delay(2000);
        var nodePid = platform.ReadPid("node.pid");
        using (var node = Process.GetProcessById(nodePid))
        {
            node.Kill();
        }
        var killedAt = clock.Elapsed;
        await WaitGoneAsync(nodePid);
        foreach (var pid in before.Values)
        {
            Assert.True(Directory.Exists($"/proc/{pid}"), $"instance pid {pid} died with the node agent");
        }
        File.Delete(Path.Combine(platform.DataDirectory, "node.pid"));
        await platform.StartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            lock (answers)
            {
                if (answers.Count > 0 && answers[^1].At > killedAt && answers[^1].Ok)
                {
                    break;
                }
            }
            await Task.Delay(100);
        }
        await Task.Delay(3000);
        await stop.CancelAsync();
        await loop;
        List<(TimeSpan At, bool Ok)> seen;
        lock (answers)
        {
            seen = [.. answers];
        }
        var failed = seen.Where(a => !a.Ok).ToList();
        var resumed = seen.FirstOrDefault(a => a.At > killedAt && a.Ok && !seen.Any(b => b.At > a.At && !b.Ok));
        var gap = resumed.At - killedAt;
        output.WriteLine($"node agent SIGKILLed and restarted: {seen.Count} requests, {failed.Count} failed, routing back {gap.TotalSeconds:F1} s after the kill");
        Assert.True(resumed.Ok, $"routing did not resume: {failed.Count} of {seen.Count} requests failed");
        Assert.Equal(before, InstancePids());
        Assert.All(failed, f => Assert.True(f.At >= killedAt - TimeSpan.FromSeconds(1), $"a request failed before the kill, at {f.At}"));
    }

    /// <summary>
    /// Not a child of the tests (./ravioli up started it), so it cannot be waited for: gone, or a zombie (its parent, the
    /// control plane that `./ravioli up` exec'd into, does not reap it), is dead enough.
    /// </summary>
    private static async Task WaitGoneAsync(int pid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var stat = await File.ReadAllTextAsync($"/proc/{pid}/stat");
                if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z'))
                {
                    return;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return;
            }
            await Task.Delay(20);
        }
        Assert.Fail($"pid {pid} did not die within 30 s of SIGKILL");
    }

    private Dictionary<string, int> InstancePids()
    {
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(platform.DataDirectory, "executor", "state.json")));
        return state.RootElement.GetProperty("instances").EnumerateArray()
            .Where(i => i.TryGetProperty("wrapperPid", out var pid) && pid.ValueKind == JsonValueKind.Number)
            .ToDictionary(i => i.GetProperty("spec").GetProperty("instanceGuid").GetString()!, i => i.GetProperty("wrapperPid").GetInt32());
    }

    [Fact]
    public async Task A_restarted_node_adopts_its_live_instances_without_duplicates()
    {
        await PushTwoInstancesAsync("adopted");
        var before = InstancePids();
        Assert.True(before.Count >= 2, string.Join(",", before));
        var nodePid = platform.ReadPid("node.pid");
        System.Diagnostics.Process.GetProcessById(nodePid).Kill();
        await System.Diagnostics.Process.GetProcessById(nodePid).WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { });
        foreach (var pid in before.Values)
        {
            Assert.True(Directory.Exists($"/proc/{pid}"), $"instance pid {pid} died with the node agent");
        }
        File.Delete(Path.Combine(platform.DataDirectory, "node.pid"));
        await platform.StartAsync();
        using var client = platform.Router("adopted.apps.localhost");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var answer = "";
        while (DateTime.UtcNow < deadline && !(answer = await Platform.GetAsync(client)).StartsWith("200", StringComparison.Ordinal))
        {
            await Task.Delay(200);
        }
        Assert.StartsWith("200", answer, StringComparison.Ordinal);
        await Task.Delay(2000);
        Assert.Equal(before, InstancePids());
    }
}
