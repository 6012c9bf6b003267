using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Ravioli.Runtime.Local.Processes;

using Ravioli.Core.Apps;

namespace Ravioli.Runtime.Local.Tests.Infrastructure;

/// <summary>
/// One executor on its own state directory and port range, with its events and output recorded. Disposing it stops
/// every instance and then removes whatever may be left (processes, cgroups, files), even after a failed test.
/// </summary>
public sealed class ExecutorHarness : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static int s_rangeCounter;
    private readonly Lock _gate = new();
    private readonly List<InstanceEvent> _events = [];
    private readonly List<AppOutputLine> _output = [];
    private readonly HashSet<string> _instanceGuids = [];
    private readonly Func<LocalExecutorOptions, LocalExecutorOptions> _configure;
    private Task _pump = Task.CompletedTask;

    private ExecutorHarness(string root, Func<LocalExecutorOptions, LocalExecutorOptions> configure)
    {
        Root = root;
        _configure = configure;
        var n = Interlocked.Increment(ref s_rangeCounter) + (Environment.ProcessId % 50);
        Options = configure(new LocalExecutorOptions
        {
            StateDirectory = Path.Combine(root, "state"),
            PortRangeStart = 40000 + (n * 40 % 20000),
            PortRangeEnd = 40000 + (n * 40 % 20000) + 39,
            MonitorInterval = TimeSpan.FromMilliseconds(50),
            StartupHealthCheckInterval = TimeSpan.FromMilliseconds(100),
            HealthCheckInterval = TimeSpan.FromMilliseconds(300),
            StatsInterval = TimeSpan.FromMilliseconds(300),
            InitialRestartDelay = TimeSpan.FromMilliseconds(300),
            MaxRestartDelay = TimeSpan.FromSeconds(2),
        });
        Http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
    }

    public string Root { get; }

    public LocalExecutorOptions Options { get; }

    public LocalExecutor Executor { get; private set; } = null!;

    public HttpClient Http { get; }

    public string StateFile => Path.Combine(Options.StateDirectory, "state.json");

    public static async Task<ExecutorHarness> StartAsync(Func<LocalExecutorOptions, LocalExecutorOptions>? configure = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "ravioli-runtime-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        // The sandbox uid must traverse to the instance directories below.
        File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(Path.GetDirectoryName(root)!, (UnixFileMode)0b111_101_101);
        var harness = new ExecutorHarness(root, configure ?? (o => o));
        try
        {
            await harness.StartExecutorAsync();
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }

        return harness;
    }

    /// <summary>A new executor on the same state directory, as after a node agent restart.</summary>
    public async Task<LocalExecutor> StartExecutorAsync()
    {
        Executor = new LocalExecutor(Options);
        var executor = Executor;
        _pump = Task.WhenAll(
            Task.Run(async () =>
            {
                await foreach (var e in executor.Events.ReadAllAsync())
                {
                    lock (_gate)
                    {
                        _events.Add(e);
                    }
                }
            }),
            Task.Run(async () =>
            {
                await foreach (var line in executor.Output.ReadAllAsync())
                {
                    lock (_gate)
                    {
                        _output.Add(line);
                    }
                }
            }));
        await executor.StartAsync();
        return executor;
    }

    /// <summary>Disposes the current executor (instances keep running) and forgets what it recorded.</summary>
    public async Task DisposeExecutorAsync()
    {
        await Executor.DisposeAsync();
        await _pump.WaitAsync(Patience);
        lock (_gate)
        {
            _events.Clear();
            _output.Clear();
        }
    }

    public InstanceSpec Spec(
        int index = 0,
        string command = "python3 server.py",
        string healthCheck = HealthCheckTypes.Port,
        string? endpoint = null,
        int memoryMb = 256,
        int diskMb = 64,
        IReadOnlyDictionary<string, string>? environment = null,
        TimeSpan? stopTimeout = null,
        TimeSpan? startTimeout = null,
        string? instanceGuid = null,
        string? droplet = null)
    {
        var guid = instanceGuid ?? $"i-{Guid.NewGuid():N}"[..20];
        lock (_gate)
        {
            _instanceGuids.Add(guid);
        }

        return new InstanceSpec(
            guid,
            "app-" + Path.GetFileName(Root)[..8],
            "test-app",
            "space-1",
            "web",
            index,
            droplet ?? Droplet,
            command,
            environment ?? new Dictionary<string, string> { ["HOME"] = "/app", ["MESSAGE"] = "hello 'quoted' $value" },
            memoryMb,
            diskMb,
            new HealthCheckSpec(healthCheck, endpoint, TimeSpan.FromSeconds(1)),
            startTimeout ?? TimeSpan.FromSeconds(30),
            stopTimeout ?? TimeSpan.FromSeconds(5));
    }

    public string Droplet => _droplet ??= TestDroplet.Create(Path.Combine(Root, "droplets"));

    private string? _droplet;

    public IReadOnlyList<InstanceEvent> Events()
    {
        lock (_gate)
        {
            return [.. _events];
        }
    }

    public IReadOnlyList<AppOutputLine> Output()
    {
        lock (_gate)
        {
            return [.. _output];
        }
    }

    public InstanceStatus? Status(string instanceGuid) => Executor.Snapshot().FirstOrDefault(s => s.InstanceGuid == instanceGuid);

    public Task<InstanceStatus> WaitForStateAsync(string instanceGuid, string state, Func<InstanceStatus, bool>? also = null, TimeSpan? timeout = null) =>
        WaitForAsync(() => Status(instanceGuid) is { } s && s.State == state && (also?.Invoke(s) ?? true) ? s : null, $"{instanceGuid} to be {state}", timeout);

    public Task<InstanceEvent> WaitForEventAsync(Func<InstanceEvent, bool> predicate, string what, TimeSpan? timeout = null) =>
        WaitForAsync(() => Events().FirstOrDefault(predicate), what, timeout);

    public async Task<T> WaitForAsync<T>(Func<T?> probe, string what, TimeSpan? timeout = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? Patience);
        while (true)
        {
            if (probe() is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}. Snapshot: {JsonSerializer.Serialize(Executor.Snapshot())}\nEvents: {string.Join("\n", Events().Select(e => e.ToString()))}\nOutput: {string.Join("\n", Output().TakeLast(20).Select(l => l.Stream + ": " + l.Text))}");
            }

            await Task.Delay(25);
        }
    }

    public async Task<JsonElement> GetJsonAsync(InstanceStatus status, string pathAndQuery) =>
        await Http.GetFromJsonAsync<JsonElement>($"http://{status.Address}{pathAndQuery}");

    /// <summary>Host pid of the app process (the python3 one) of an instance: a descendant of its wrapper.</summary>
    public static int AppPid(InstanceStatus status, string marker = "server.py")
    {
        var all = ProcFs.All();
        var descendants = ProcFs.Descendants([status.Pid!.Value], all);
        return descendants.FirstOrDefault(pid => ProcFs.ReadCmdline(pid) is { } cmd && cmd.StartsWith("python3", StringComparison.Ordinal) && cmd.Contains(marker, StringComparison.Ordinal));
    }

    public static bool IsAlive(int pid) => ProcFs.ReadStat(pid) is { IsGone: false };

    /// <summary>The instance's cgroup directory for one v1 controller (or the v2 directory), as this host lays it out.</summary>
    public string? CgroupDirectory(string instanceGuid, string controller)
    {
        return Executor.Isolation.CgroupVersion switch
        {
            "v1" => Path.Combine(Options.CgroupFsRoot, controller, Options.CgroupParent, instanceGuid),
            "v2" => Directory.Exists(Path.Combine(Options.CgroupFsRoot, "cgroup.controllers"))
                ? Path.Combine(Options.CgroupFsRoot, Options.CgroupParent, instanceGuid)
                : Path.Combine(Options.CgroupFsRoot, "unified", Options.CgroupParent, instanceGuid),
            _ => null,
        };
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Executor is not null)
            {
                try
                {
                    await Executor.StopAllAsync().WaitAsync(TimeSpan.FromSeconds(60));
                }
                catch (Exception e) when (e is TimeoutException or InvalidOperationException or ObjectDisposedException)
                {
                    // Fall through to the hard cleanup below.
                }

                await Executor.DisposeAsync();
            }
        }
        finally
        {
            HardCleanup();
            Http.Dispose();
        }
    }

    /// <summary>Kills anything a failed test left behind: processes started from this state directory and the test's cgroups.</summary>
    private void HardCleanup()
    {
        for (var round = 0; round < 5; round++)
        {
            var all = ProcFs.All();
            var ours = all.Where(p => ProcFs.ReadCmdline(p.Pid) is { } cmd && cmd.Contains(Root, StringComparison.Ordinal)).Select(p => p.Pid).ToHashSet();
            var sessions = ours.ToHashSet();
            var victims = all.Where(p => ours.Contains(p.Pid) || sessions.Contains(p.Session)).Select(p => p.Pid).ToHashSet();
            victims.UnionWith(ProcFs.Descendants(victims, all));
            foreach (var dir in CgroupDirectories())
            {
                foreach (var line in SafeReadLines(Path.Combine(dir, "cgroup.procs")))
                {
                    if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                    {
                        victims.Add(pid);
                    }
                }
            }

            victims.Remove(Environment.ProcessId);
            if (victims.Count == 0)
            {
                break;
            }

            foreach (var pid in victims)
            {
                Native.Kill(pid, Native.SigKill);
            }

            Thread.Sleep(100);
        }

        foreach (var dir in CgroupDirectories())
        {
            try
            {
                Directory.Delete(dir, recursive: false);
            }
            catch (IOException)
            {
            }
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private IEnumerable<string> CgroupDirectories()
    {
        List<string> guids;
        lock (_gate)
        {
            guids = [.. _instanceGuids];
        }

        foreach (var guid in guids)
        {
            foreach (var controller in new[] { "memory", "pids", "cpu", "cpuacct" })
            {
                var v1 = Path.Combine(Options.CgroupFsRoot, controller, Options.CgroupParent, guid);
                if (Directory.Exists(v1))
                {
                    yield return v1;
                }
            }

            foreach (var v2 in new[] { Path.Combine(Options.CgroupFsRoot, Options.CgroupParent, guid), Path.Combine(Options.CgroupFsRoot, "unified", Options.CgroupParent, guid) })
            {
                if (Directory.Exists(v2) && File.Exists(Path.Combine(v2, "cgroup.procs")))
                {
                    yield return v2;
                }
            }
        }
    }

    private static string[] SafeReadLines(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllLines(path) : [];
        }
        catch (IOException)
        {
            return [];
        }
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        return (process.ExitCode, output);
    }
}
