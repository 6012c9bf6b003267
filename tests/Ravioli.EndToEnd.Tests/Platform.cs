using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Ravioli.EndToEnd.Tests;

/// <summary>
/// The platform exactly as a user runs it: `./ravioli up` as a child process (control plane in the foreground,
/// the node agent in the background), the real `./rav` binary, and HTTP through the router — on free ports with
/// a throwaway data directory and CLI home. `./ravioli down` stops it all afterwards.
/// </summary>
public class Platform : IAsyncLifetime
{
    public static readonly string Root = FindRoot();

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("ravioli-e2e-").FullName;
    public string RavHome { get; } = Directory.CreateTempSubdirectory("rav-home-").FullName;
    public int ApiPort { get; } = FreePort();
    public int RouterPort { get; } = FreePort();
    public int NodePort { get; } = FreePort();
    public string ApiUrl => $"http://127.0.0.1:{ApiPort}";

    /// <summary>`./ravioli up --services`: none, unless a test is about the built-in brokers.</summary>
    protected virtual string Services => "none";
    public Process? ControlPlane { get; private set; }
    private readonly StringBuilder _upOutput = new();

    public async Task InitializeAsync()
    {
        await StartAsync();
        var password = (await File.ReadAllTextAsync(Path.Combine(DataDirectory, "admin-password"))).Trim();
        var login = await RavAsync("login", "-a", ApiUrl, "-u", "admin", "-p", password);
        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.Equal(0, (await RavAsync("create-org", "e2e")).ExitCode);
        Assert.Equal(0, (await RavAsync("create-space", "dev", "-o", "e2e")).ExitCode);
        Assert.Equal(0, (await RavAsync("target", "-o", "e2e", "-s", "dev")).ExitCode);
    }

    /// <summary>
    /// `./ravioli up`: starts what is not running (the node survives control plane restarts) and waits for /healthz.
    /// <paramref name="environment"/> reaches the control plane (e.g. RAVIOLI_FAULT_KILL_AT; the script keeps it from the node).
    /// </summary>
    public async Task StartAsync(IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(Root, "ravioli"), "up", "--data-dir", DataDirectory,
            "--api-port", ApiPort.ToString(), "--router-port", RouterPort.ToString(), "--node-port", NodePort.ToString(), "--services", Services])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Root,
        };
        start.Environment.Remove("RAVIOLI_FAULT_KILL_AT");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (_upOutput) { _upOutput.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (_upOutput) { _upOutput.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        ControlPlane = process;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            try
            {
                if ((await http.GetAsync($"{ApiUrl}/healthz")).IsSuccessStatusCode && File.Exists(Path.Combine(DataDirectory, "node.pid")))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (DateTime.UtcNow > deadline || process.HasExited && process.ExitCode != 0)
            {
                throw new InvalidOperationException($"./ravioli up did not come up: {Output}");
            }
            await Task.Delay(250);
        }
    }

    public string Output
    {
        get
        {
            lock (_upOutput)
            {
                return _upOutput.ToString();
            }
        }
    }

    /// <summary>SIGKILLs the control plane (`./ravioli up` execs it, so it is <see cref="ControlPlane"/> itself) and waits for it to go.</summary>
    public async Task KillControlPlaneAsync()
    {
        if (ControlPlane is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
            return;
        }
        // `./ravioli up` found it already running (e.g. after a node restart), so ControlPlane is that short-lived script: go by the pid file.
        if (File.Exists(Path.Combine(DataDirectory, "control-plane.pid")) && ReadPid("control-plane.pid") is var pid && Directory.Exists($"/proc/{pid}"))
        {
            using var running = Process.GetProcessById(pid);
            running.Kill();
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (Directory.Exists($"/proc/{pid}") && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>
    /// Reads the control plane's SQLite database (selects only, beside the running platform) with python3's sqlite3,
    /// which every machine that runs ./ravioli has; one row per line, columns tab-separated.
    /// </summary>
    public async Task<List<string[]>> QueryAsync(string sql)
    {
        const string script = "import sys, sqlite3\n"
            + "c = sqlite3.connect(sys.argv[1], timeout=30)\n"
            + "for row in c.execute(sys.argv[2]): print('\\t'.join('' if v is None else str(v) for v in row))\n";
        using var process = Process.Start(new ProcessStartInfo("python3", ["-c", script, Path.Combine(DataDirectory, "ravioli.db"), sql])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(process.ExitCode == 0, $"query failed: {sql}: {await stderr}");
        return [.. (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t'))];
    }

    public int ReadPid(string file) => int.Parse(File.ReadAllText(Path.Combine(DataDirectory, file)).Trim());

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    /// <summary>Runs the real CLI (./rav) with this platform's RAV_HOME, bounded in time.</summary>
    public async Task<Result> RavAsync(params string[] args) => await RavInAsync(Root, args);

    public async Task<Result> RavInAsync(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(Root, "rav"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory,
        };
        start.Environment["RAV_HOME"] = RavHome;
        start.Environment["RAV_ROUTER_URL"] = $"http://127.0.0.1:{RouterPort}";
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"rav {string.Join(' ', args)} did not finish within 5 minutes: {await stdout} {await stderr}");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    public HttpClient Router(string host)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{RouterPort}"), Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Host = host;
        return client;
    }

    public static async Task<string> GetAsync(HttpClient client)
    {
        try
        {
            using var response = await client.GetAsync("/");
            return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return "error " + e.Message;
        }
    }

    public async Task DisposeAsync()
    {
        var down = Process.Start(new ProcessStartInfo("bash", [Path.Combine(Root, "ravioli"), "down", "--data-dir", DataDirectory]) { RedirectStandardOutput = true })!;
        await down.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        ControlPlane?.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
            Directory.Delete(RavHome, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ravioli")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new DirectoryNotFoundException("the repository root (with ./ravioli) was not found above the tests");
    }
}
