using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Ravioli.Staging.Droplets;

namespace Ravioli.Staging.Tests.Support;

/// <summary>
/// Starts a droplet's process the way the runtime will: the launcher script through /bin/sh, working
/// directory and HOME = the app directory, PORT set, and only the host's /usr on the PATH.
/// </summary>
internal sealed class RunningApp : IAsyncDisposable
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly Lock _lock = new();

    private RunningApp(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Output
    {
        get
        {
            lock (_lock)
            {
                return string.Join('\n', _output);
            }
        }
    }

    public static RunningApp Start(string appDirectory, string command, IReadOnlyDictionary<string, string>? environment = null)
    {
        var port = FreePort();
        var startInfo = new ProcessStartInfo(DropletLauncher.Shell)
        {
            WorkingDirectory = appDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in DropletLauncher.Arguments(command))
        {
            startInfo.ArgumentList.Add(argument);
        }
        startInfo.Environment.Clear();
        startInfo.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        startInfo.Environment["HOME"] = appDirectory;
        startInfo.Environment["PORT"] = port.ToString();
        startInfo.Environment["LANG"] = "C.UTF-8";
        startInfo.Environment["MEMORY_LIMIT"] = "256m";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }
        var process = Process.Start(startInfo)!;
        var app = new RunningApp(process, port);
        process.OutputDataReceived += (_, e) => app.Collect(e.Data);
        process.ErrorDataReceived += (_, e) => app.Collect(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return app;
    }

    /// <summary>GETs a path once the app listens; fails with the app's output if it exits or never answers.</summary>
    public async Task<(HttpStatusCode Status, string Body, string? ContentType)> GetAsync(string path = "/", TimeSpan? wait = null)
    {
        var deadline = DateTime.UtcNow + (wait ?? TimeSpan.FromSeconds(120));
        while (true)
        {
            if (_process.HasExited)
            {
                throw new Xunit.Sdk.XunitException($"The app exited with code {_process.ExitCode} before answering. Its output:\n{Output}");
            }
            try
            {
                using var response = await s_http.GetAsync($"http://127.0.0.1:{Port}{path}");
                return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.ToString());
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
            catch (HttpRequestException e)
            {
                throw new Xunit.Sdk.XunitException($"The app did not answer on port {Port}: {e.Message}. Its output:\n{Output}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Collect(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lock)
        {
            _output.Add(line);
        }
    }
}
