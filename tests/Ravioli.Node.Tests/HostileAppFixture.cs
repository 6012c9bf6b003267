using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Ravioli.Runtime.Local;
using Ravioli.Testing;

namespace Ravioli.Node.Tests;

/// <summary>
/// The platform (with the Redis broker, so broker endpoints and broker state exist; it starts in well under a second,
/// unlike PostgreSQL's initdb) running two apps: a well-behaved
/// neighbour, asked through the router all along, and a hostile app (Apps/hostile.py) that the tests make misbehave.
/// </summary>
public sealed class HostileAppFixture : PlatformFixture
{
    public const int HostileMemoryMb = 512;
    public const int HostileDiskMb = 64;
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly CancellationTokenSource _stopMonitor = new();
    private Task _monitor = Task.CompletedTask;
    private volatile bool _monitorPaused;

    protected override string BuiltInServices => "redis";

    public string NeighbourApp { get; private set; } = "";
    public string NeighbourHost { get; private set; } = "";
    public string HostileApp { get; private set; } = "";
    public string HostileHost { get; private set; } = "";

    /// <summary>In the neighbour's environment only: whoever finds it has read the neighbour's environment.</summary>
    public string NeighbourSecret { get; } = "neighbour-secret-" + Guid.NewGuid().ToString("N");

    public NeighbourWatch Neighbour { get; } = new();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        (NeighbourApp, NeighbourHost) = await PushAsync("neighbour", "neighbour ok");
        (await Admin.PatchJsonAsync($"/v3/apps/{NeighbourApp}/environment_variables", new { var = new Dictionary<string, string> { ["NEIGHBOUR_SECRET"] = NeighbourSecret } })).Expect(HttpStatusCode.OK);
        (await Admin.PostJsonAsync($"/v3/apps/{NeighbourApp}/actions/start", new { })).Expect(HttpStatusCode.OK);

        var source = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Apps", "hostile.py"));
        (HostileApp, HostileHost) = await PushDropletAsync("hostile", new Dictionary<string, string> { ["hostile.py"] = source }, "python3 hostile.py");
        (await Admin.PostJsonAsync($"/v3/processes/{HostileApp}/actions/scale", new { memory_in_mb = HostileMemoryMb, disk_in_mb = HostileDiskMb })).Expect(HttpStatusCode.OK);
        (await Admin.PostJsonAsync($"/v3/apps/{HostileApp}/actions/start", new { })).Expect(HttpStatusCode.OK);

        using (var neighbour = RouterClient(NeighbourHost))
        {
            await EventuallyAsync(() => GetAsync(neighbour), r => r.StartsWith("200 neighbour ok", StringComparison.Ordinal), Bound, "the neighbour to answer through the router");
        }
        await HostileReadyAsync();
        _monitor = Task.Run(MonitorAsync);
    }

    /// <summary>Waits until the hostile app (perhaps restarting after a crash it caused) answers through the router.</summary>
    public async Task HostileReadyAsync()
    {
        await EventuallyAsync(async () =>
        {
            try
            {
                return await AttemptAsync("/ping");
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException)
            {
                return default;
            }
        }, r => r.ValueKind == JsonValueKind.Object && r.GetProperty("ok").GetBoolean(), Bound, "the hostile app to answer through the router");
    }

    /// <summary>One attempt, through the router like any request to the app; its JSON answer says how it went.</summary>
    public async Task<JsonElement> AttemptAsync(string pathAndQuery, TimeSpan? timeout = null)
    {
        using var client = RouterClient(HostileHost);
        client.Timeout = timeout ?? TimeSpan.FromSeconds(20);
        using var response = await client.GetAsync(pathAndQuery);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"{pathAndQuery}: {(int)response.StatusCode} {text}");
        }
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Waits until the built-in brokers have started: before that they answer 503 to everyone.</summary>
    public async Task<HttpStatusCode> BrokersStartedAsync()
    {
        using var anonymous = Anonymous();
        return await EventuallyAsync(async () =>
        {
            using var response = await anonymous.GetAsync("/brokers/redis/v2/catalog");
            return response.StatusCode;
        }, s => s != HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(90), "the built-in brokers to start");
    }

    public InstanceStatus Instance(string app) => Node.Executor.Snapshot().Single(s => s.AppGuid == app && s.ProcessType == "web");

    /// <summary>Host pids of an instance's processes: the wrapper and everything below it.</summary>
    public static IReadOnlyList<int> HostPids(InstanceStatus instance)
    {
        var result = new List<int>();
        foreach (var process in Process.GetProcesses())
        {
            using (process)
            {
                int? pid = process.Id;
                for (var hops = 0; pid is > 1 && hops < 20; hops++)
                {
                    if (pid == instance.Pid)
                    {
                        result.Add(process.Id);
                        break;
                    }
                    pid = Parent(pid.Value);
                }
            }
        }
        return result;
    }

    private static int? Parent(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The instance's directory on the host, where its copy of the droplet is.</summary>
    public string InstanceDirectory(InstanceStatus instance) => Path.Combine(Path.GetDirectoryName(Node.Executor.StateFilePath)!, "instances", instance.InstanceGuid);

    /// <summary>The instance's pids cgroup (v1 on hybrid hosts, the unified group on v2).</summary>
    public string PidsCgroup(InstanceStatus instance) => Node.Executor.Isolation.CgroupVersion == "v1"
        ? Path.Combine("/sys/fs/cgroup/pids/ravioli", instance.InstanceGuid)
        : Path.Combine("/sys/fs/cgroup/ravioli", instance.InstanceGuid);

    public async Task<IReadOnlyList<JsonElement>> CrashEventsAsync(string app) =>
        [.. (await Admin.GetJsonAsync($"/v3/audit_events?target_guids={app}&types=audit.app.process.crash&per_page=100")).Expect(HttpStatusCode.OK)
            .GetProperty("resources").EnumerateArray().Select(e => e.GetProperty("data"))];

    public async Task<string> RecentLogsAsync(string app)
    {
        // As many lines as the node keeps: a fork bomb's stderr alone is hundreds of "Cannot fork" lines.
        using var logs = await Admin.GetAsync($"/v3/apps/{app}/logs?recent=true&lines=1000");
        return await logs.Content.ReadAsStringAsync();
    }

    /// <summary>Stops asking the neighbour while the router itself is down on purpose.</summary>
    public void PauseNeighbourWatch(bool paused) => _monitorPaused = paused;

    private async Task MonitorAsync()
    {
        HttpClient? client = null;
        Uri? router = null;
        try
        {
            while (!_stopMonitor.IsCancellationRequested)
            {
                if (_monitorPaused)
                {
                    await Task.Delay(50);
                    continue;
                }
                if (router != Node.RouterAddress)
                {
                    client?.Dispose();
                    router = Node.RouterAddress;
                    client = RouterClient(NeighbourHost);
                }
                var result = await GetAsync(client!);
                if (!_monitorPaused)
                {
                    Neighbour.Record(result.StartsWith("200 neighbour ok", StringComparison.Ordinal), result);
                }
                await Task.Delay(25);
            }
        }
        finally
        {
            client?.Dispose();
        }
    }

    public override async Task DisposeAsync()
    {
        await _stopMonitor.CancelAsync();
        await _monitor;
        try
        {
            // The hostile app ignores SIGTERM, so a graceful stop would wait out its whole stop timeout: help it along
            // (again if a crash restart got in before the stop).
            var stopping = Node.StopAppsAsync();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!stopping.IsCompleted && DateTime.UtcNow < deadline)
            {
                await Task.WhenAny(stopping, Task.Delay(300));
                foreach (var instance in Node.Executor.Snapshot().Where(s => s.AppGuid == HostileApp && s.Pid is not null))
                {
                    foreach (var pid in HostPids(instance).Where(p => p != instance.Pid))
                    {
                        try
                        {
                            using var process = Process.GetProcessById(pid);
                            process.Kill();
                        }
                        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                        {
                            // Gone already.
                        }
                    }
                }
            }
            await stopping.WaitAsync(TimeSpan.FromSeconds(60));

            // The brokers' servers outlive the control plane by design; a test must not leave one running.
            await Services.GetRequiredService<Ravioli.Brokers.IBuiltInBrokers>().StopServersAsync(CancellationToken.None);
        }
        finally
        {
            await base.DisposeAsync();
            _stopMonitor.Dispose();
        }
    }
}

/// <summary>Every answer the neighbour gave through the router since the fixture started; a window counts one attempt's share.</summary>
public sealed class NeighbourWatch
{
    private readonly Lock _gate = new();
    private readonly List<string> _failures = [];
    private int _total;

    public void Record(bool ok, string result)
    {
        lock (_gate)
        {
            _total++;
            if (!ok)
            {
                _failures.Add(result);
            }
        }
    }

    public (int Total, int Failures) Mark()
    {
        lock (_gate)
        {
            return (_total, _failures.Count);
        }
    }

    /// <summary>Requests answered since <paramref name="mark"/>, and the failures among them (with what they were).</summary>
    public (int Total, int Ok, IReadOnlyList<string> Failures) Since((int Total, int Failures) mark)
    {
        lock (_gate)
        {
            var failures = _failures.Skip(mark.Failures).ToList();
            return (_total - mark.Total, _total - mark.Total - failures.Count, failures);
        }
    }
}
