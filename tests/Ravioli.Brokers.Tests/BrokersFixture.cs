using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ravioli.Brokers.Hosting;
using Xunit;

namespace Ravioli.Brokers.Tests;

[CollectionDefinition(Name)]
public sealed class BrokersCollection : ICollectionFixture<BrokersFixture>
{
    public const string Name = "brokers";
}

/// <summary>
/// One data directory and one set of real backing servers (PostgreSQL, MariaDB, RabbitMQ; Redis per instance) for the
/// whole suite, behind the brokers hosted in Kestrel on a free port. The host can be restarted on the same data dir.
/// </summary>
public sealed class BrokersFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public string DataDirectory { get; } = Path.Combine("/tmp", $"ravioli-brokers-test-{Guid.NewGuid():N}"[..32]);

    public ConcurrentQueue<string> LogLines { get; } = new();

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    public IReadOnlyList<BuiltInBroker> Brokers { get; private set; } = [];

    internal BuiltInBrokers Registry => _app!.Services.GetRequiredService<BuiltInBrokers>();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        await StartHostAsync();
    }

    public async Task StartHostAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(new CaptureLoggerProvider(LogLines));
        builder.Services.AddRavioliBrokers(new BrokerOptions { DataDirectory = DataDirectory });
        _app = builder.Build();
        _app.MapRavioliBrokers();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.TrimEnd('/') + "/");
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        Brokers = await _app.Services.GetRequiredService<IBuiltInBrokers>().StartAsync(cts.Token);
    }

    public async Task StopHostAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public async Task RestartHostAsync()
    {
        await StopHostAsync();
        await StartHostAsync();
    }

    public OsbClient Client(string broker) => new(BaseAddress, Brokers.Single(b => b.Name == broker));

    public string ServiceFile(params string[] parts) => Path.Combine([DataDirectory, "services", .. parts]);

    public async Task DisposeAsync()
    {
        await StopHostAsync();
        // As `ravioli down --services` does it: a fresh process that only reads the state and stops every server.
        await using (var services = new ServiceCollection()
            .AddLogging(l => l.AddProvider(new CaptureLoggerProvider(LogLines)))
            .AddRavioliBrokers(new BrokerOptions { DataDirectory = DataDirectory })
            .BuildServiceProvider())
        {
            await services.GetRequiredService<IBuiltInBrokers>().StopServersAsync(CancellationToken.None);
        }
        // The brokers' log of the whole run, for diagnosing a failure after the data directory is gone.
        await File.WriteAllLinesAsync(Path.Combine(Path.GetTempPath(), "ravioli-brokers-tests.log"), LogLines);
        // Children of a stopped server (erl_child_setup, epmd, postgres backends) take a moment to exit.
        var strays = StrayProcesses();
        for (var i = 0; i < 50 && strays.Count > 0; i++)
        {
            await Task.Delay(200);
            strays = StrayProcesses();
        }
        var described = strays.Select(pid => $"{pid} {Describe(pid)}").ToList();
        foreach (var pid in strays)
        {
            try
            {
                Process.GetProcessById(pid).Kill(entireProcessTree: true);
            }
            catch (ArgumentException)
            {
            }
        }
        Process.Start("rm", ["-rf", DataDirectory])!.WaitForExit();
        if (strays.Count > 0)
        {
            throw new InvalidOperationException($"servers left running after StopServersAsync: {string.Join("; ", described)}");
        }
    }

    private static string Describe(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "(gone)";
        }
    }

    /// <summary>Processes whose command line or environment mentions our data directory.</summary>
    public List<int> StrayProcesses()
    {
        var found = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var environ = File.Exists(Path.Combine(dir, "environ")) ? File.ReadAllText(Path.Combine(dir, "environ")) : "";
                if (cmdline.Contains(DataDirectory) || environ.Contains(DataDirectory))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    private sealed class CaptureLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CaptureLogger(categoryName, lines);

        public void Dispose()
        {
        }
    }

    private sealed class CaptureLogger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
        }
    }
}
