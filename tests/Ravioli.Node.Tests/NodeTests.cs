using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Node.Tests;

public sealed class NodeTests(PlatformFixture platform) : IClassFixture<PlatformFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private async Task<JsonElement> StatsAsync(string app) =>
        (await platform.Admin.GetJsonAsync($"/v3/processes/{app}/stats")).Expect(HttpStatusCode.OK).GetProperty("resources");

    private static int Running(JsonElement stats) => stats.EnumerateArray().Count(i => i.GetProperty("state").GetString() == "RUNNING");

    [Fact]
    public void Apps_run_in_the_real_sandbox_on_this_host_not_the_degraded_fallback()
    {
        var isolation = platform.Node.Executor.Isolation;
        Assert.True(isolation.Sandbox == "bwrap" && isolation.CgroupVersion != "none" && isolation.Warnings.Count == 0, isolation.ToString());
    }

    [Fact]
    public async Task A_started_app_is_served_by_the_router_scales_and_restarts_without_failed_requests()
    {
        var (app, host) = await platform.PushAsync("hello", "hello from python");
        (await platform.Admin.PostJsonAsync($"/v3/apps/{app}/actions/start", new { })).Expect(HttpStatusCode.OK);
        using var client = platform.RouterClient(host);
        var first = await PlatformFixture.EventuallyAsync(() => PlatformFixture.GetAsync(client), r => r.StartsWith("200", StringComparison.Ordinal), Bound, "first 200 through the router");
        Assert.StartsWith("200 hello from python 0", first, StringComparison.Ordinal);

        // HTTP/2 clients (cleartext, prior knowledge) reach the same app through the router's h2c port.
        using (var http2 = new HttpClient())
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{platform.Http2Port}/")
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            request.Headers.Host = host;
            using var response = await http2.SendAsync(request);
            Assert.Equal((HttpStatusCode.OK, new Version(2, 0)), (response.StatusCode, response.Version));
            Assert.StartsWith("hello from python", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var stats = await StatsAsync(app);
        Assert.Equal("RUNNING", stats[0].GetProperty("state").GetString());
        Assert.True(stats[0].GetProperty("usage").GetProperty("mem").GetInt64() >= 0);

        (await platform.Admin.PostJsonAsync($"/v3/processes/{app}/actions/scale", new { instances = 3 })).Expect(HttpStatusCode.OK);
        await PlatformFixture.EventuallyAsync(() => StatsAsync(app), s => Running(s) == 3, Bound, "3 running instances");
        var seen = new HashSet<string>();
        for (var i = 0; i < 30; i++)
        {
            seen.Add(await PlatformFixture.GetAsync(client));
        }
        Assert.Equal(3, seen.Count(s => s.StartsWith("200 hello from python", StringComparison.Ordinal)));

        // A rolling restart under a request loop: every request answered 200, and the new env is live afterwards.
        (await platform.Admin.PatchJsonAsync($"/v3/apps/{app}/environment_variables", new { var = new Dictionary<string, string> { ["GREETING"] = "v2" } })).Expect(HttpStatusCode.OK);
        using var loop = new CancellationTokenSource();
        var failures = new List<string>();
        var total = 0;
        var requests = Task.Run(async () =>
        {
            while (!loop.IsCancellationRequested)
            {
                var result = await PlatformFixture.GetAsync(client);
                Interlocked.Increment(ref total);
                if (!result.StartsWith("200", StringComparison.Ordinal))
                {
                    lock (failures)
                    {
                        failures.Add(result);
                    }
                }
            }
        });
        (await platform.Admin.PostJsonAsync($"/v3/apps/{app}/actions/restart", new { })).Expect(HttpStatusCode.OK);
        await PlatformFixture.EventuallyAsync(async () =>
        {
            var answers = new HashSet<string>();
            for (var i = 0; i < 12; i++)
            {
                answers.Add(await PlatformFixture.GetAsync(client));
            }
            return answers;
        }, a => a.All(x => x.EndsWith(" v2", StringComparison.Ordinal)) && a.Count == 3, TimeSpan.FromSeconds(120), "all 3 instances on the new generation");
        await loop.CancelAsync();
        await requests;
        Assert.True(failures.Count == 0, $"{failures.Count} of {total} requests failed during the rolling restart: {string.Join(" | ", failures.Take(5))}");
        Assert.True(total > 20, $"only {total} requests ran");
    }

    [Fact]
    public async Task A_killed_instance_is_replaced_and_routable_again_and_the_crash_is_logged()
    {
        var (app, host) = await platform.PushAsync("crashy", "still here");
        (await platform.Admin.PostJsonAsync($"/v3/apps/{app}/actions/start", new { })).Expect(HttpStatusCode.OK);
        using var client = platform.RouterClient(host);
        await PlatformFixture.EventuallyAsync(() => PlatformFixture.GetAsync(client), r => r.StartsWith("200", StringComparison.Ordinal), Bound, "first 200");
        var instance = platform.Node.Executor.Snapshot().Single(s => s.AppGuid == app);
        var appPid = Process.GetProcesses().Where(p => ParentChain(p.Id).Contains(instance.Pid!.Value) && p.ProcessName.StartsWith("python3", StringComparison.Ordinal)).Select(p => p.Id).First();
        Process.GetProcessById(appPid).Kill();
        await PlatformFixture.EventuallyAsync(() => Task.FromResult(platform.Node.Executor.Snapshot().Single(s => s.AppGuid == app)),
            s => s.CrashCount >= 1 && s.State == "RUNNING", Bound, "crash noticed and instance running again");
        await PlatformFixture.EventuallyAsync(() => PlatformFixture.GetAsync(client), r => r.StartsWith("200 still here", StringComparison.Ordinal), Bound, "routable again after the crash");

        // The crash is an audit event with its exit code and reason, as `rav events APP` shows it.
        var crash = await PlatformFixture.EventuallyAsync(
            async () => (await platform.Admin.GetJsonAsync($"/v3/audit_events?target_guids={app}&types=audit.app.process.crash")).Body,
            b => b.GetProperty("pagination").GetProperty("total_results").GetInt32() >= 1, Bound, "a crash audit event");
        var data = crash.GetProperty("resources")[0].GetProperty("data");
        Assert.Equal(0, data.GetProperty("index").GetInt32());
        Assert.Equal(137, data.GetProperty("exit_code").GetInt32());
        Assert.False(string.IsNullOrEmpty(data.GetProperty("reason").GetString()));
        Assert.Equal("process", crash.GetProperty("resources")[0].GetProperty("actor").GetProperty("type").GetString());

        using var logs = await platform.Admin.GetAsync($"/v3/apps/{app}/logs?recent=true");
        var text = await logs.Content.ReadAsStringAsync();
        Assert.Contains("crashed", text, StringComparison.Ordinal);
        Assert.Contains("listening on", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Following_logs_delivers_new_lines_as_they_happen()
    {
        var (app, host) = await platform.PushAsync("followed", "watched");
        (await platform.Admin.PostJsonAsync($"/v3/apps/{app}/actions/start", new { })).Expect(HttpStatusCode.OK);
        using var client = platform.RouterClient(host);
        await PlatformFixture.EventuallyAsync(() => PlatformFixture.GetAsync(client), r => r.StartsWith("200", StringComparison.Ordinal), Bound, "first 200");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await platform.Admin.GetAsync($"/v3/apps/{app}/logs?follow=true", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var marker = "/marker-" + Guid.NewGuid().ToString("N");
        _ = Task.Run(async () =>
        {
            await Task.Delay(500);
            using var request = new HttpRequestMessage(HttpMethod.Get, marker);
            await client.SendAsync(request);
        });
        string? line;
        while ((line = await reader.ReadLineAsync(timeout.Token)) is not null && !line.Contains(marker, StringComparison.Ordinal))
        {
        }
        Assert.NotNull(line);
        Assert.Contains("\"source_type\":\"RTR\"", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tasks_run_once_from_the_droplet_and_report_how_they_ended()
    {
        var (app, _) = await platform.PushAsync("tasky", "tasks");
        var ok = (await platform.Admin.PostJsonAsync($"/v3/apps/{app}/tasks", new { command = "echo migrating now; exit 0", name = "migrate" })).Expect(HttpStatusCode.Created);
        Assert.Equal((1, "RUNNING"), (ok.GetProperty("sequence_id").GetInt32(), ok.GetProperty("state").GetString()));
        var bad = (await platform.Admin.PostJsonAsync($"/v3/apps/{app}/tasks", new { command = "exit 5" })).Expect(HttpStatusCode.Created);
        Assert.Equal(2, bad.GetProperty("sequence_id").GetInt32());

        var succeeded = await PlatformFixture.EventuallyAsync(async () => (await platform.Admin.GetJsonAsync($"/v3/tasks/{ok.Guid()}")).Body,
            t => t.GetProperty("state").GetString() != "RUNNING", Bound, "the first task to end");
        Assert.Equal("SUCCEEDED", succeeded.GetProperty("state").GetString());
        var failed = await PlatformFixture.EventuallyAsync(async () => (await platform.Admin.GetJsonAsync($"/v3/tasks/{bad.Guid()}")).Body,
            t => t.GetProperty("state").GetString() != "RUNNING", Bound, "the second task to end");
        Assert.Equal(("FAILED", "exited with code 5"), (failed.GetProperty("state").GetString(), failed.GetProperty("result").GetProperty("failure_reason").GetString()));

        using var logs = await platform.Admin.GetAsync($"/v3/apps/{app}/logs?recent=true");
        Assert.Contains("migrating now", await logs.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // Finished tasks leave the node's set.
        await PlatformFixture.EventuallyAsync(() => Task.FromResult(platform.Node.Executor.Snapshot().Count(s => s.AppGuid == app)), n => n == 0, Bound, "finished tasks to be cleaned up");
        (await platform.Admin.PostJsonAsync($"/v3/apps/{app}/tasks", new { command = "" })).Expect(HttpStatusCode.UnprocessableEntity);
    }

    private static HashSet<int> ParentChain(int pid)
    {
        var chain = new HashSet<int>();
        while (pid > 1 && chain.Add(pid))
        {
            var stat = File.Exists($"/proc/{pid}/stat") ? File.ReadAllText($"/proc/{pid}/stat") : "";
            var after = stat.LastIndexOf(')');
            if (after < 0)
            {
                break;
            }
            pid = int.Parse(stat[(after + 2)..].Split(' ')[1]);
        }
        return chain;
    }
}
