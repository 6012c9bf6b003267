using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Ravioli.Core.Security;
using Ravioli.Node.Api;
using Ravioli.Node.Desired;
using Ravioli.Node.Droplets;
using Ravioli.Node.Logs;
using Ravioli.Node.Reconciling;
using Ravioli.Router;
using Ravioli.Router.AccessLog;
using Ravioli.Router.Routing;
using Ravioli.Runtime.Local;

namespace Ravioli.Node;

/// <summary>
/// The node agent: the executor that keeps instances running, the router in front of them, and a small
/// internal API for the control plane. Two Kestrel servers in one process, sharing the executor and the
/// route table, because the router answers every request on its port while the API has routes of its own.
/// </summary>
public sealed partial class NodeHost : IAsyncDisposable
{
    public static readonly IReadOnlyDictionary<string, string> Switches = new Dictionary<string, string>
    {
        ["--data-dir"] = "Ravioli:Node:DataDirectory",
        ["--control-plane"] = "Ravioli:Node:ControlPlaneUrl",
        ["--node-port"] = "Ravioli:Node:NodePort",
        ["--router-port"] = "Ravioli:Node:RouterPort",
        ["--router-listen"] = "Ravioli:Node:RouterListenAddress",
        ["--router-http2-port"] = "Ravioli:Node:RouterHttp2Port",
    };

    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _stopReconciling = new();
    private readonly List<Task> _loops = [];
    private Task _reconcileLoop = Task.CompletedTask;

    private NodeHost(WebApplication api, WebApplication router)
    {
        Api = api;
        Router = router;
    }

    public WebApplication Api { get; }
    public WebApplication Router { get; }
    public LocalExecutor Executor => Api.Services.GetRequiredService<LocalExecutor>();
    public NodeOptions Options => Api.Services.GetRequiredService<IOptions<NodeOptions>>().Value;

    public static NodeHost Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var apiBuilder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        apiBuilder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ravioli:Node:DataDirectory"] = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ravioli"),
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
            ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore.DataProtection"] = "Error",
        });
        apiBuilder.Configuration.AddEnvironmentVariables("RAVIOLI__");
        apiBuilder.Configuration.AddCommandLine(args, Switches.ToDictionary());
        configure?.Invoke(apiBuilder);
        apiBuilder.Services.AddOptions<NodeOptions>().Bind(apiBuilder.Configuration.GetSection(NodeOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        var options = apiBuilder.Configuration.GetSection(NodeOptions.Section).Get<NodeOptions>() ?? new NodeOptions();
        options.DataDirectory = DataDirectory.EnsureTraversable(options.DataDirectory);
        DataDirectory.EnsureTraversable(options.StateDirectory);
        apiBuilder.Configuration["Ravioli:Node:DataDirectory"] = options.DataDirectory;

        // The router first: its route table store is what the reconciler updates.
        var routerBuilder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        routerBuilder.Configuration.AddConfiguration(apiBuilder.Configuration);
        routerBuilder.Logging.ClearProviders();
        foreach (var provider in apiBuilder.Logging.Services.Where(s => s.ServiceType == typeof(ILoggerProvider)))
        {
            routerBuilder.Logging.Services.Add(provider);
        }
        routerBuilder.Services.AddRavioliRouter(o => apiBuilder.Configuration.GetSection("Ravioli:Router").Bind(o));
        var routerAddress = IPAddress.Parse(options.RouterListenAddress);
        routerBuilder.WebHost.ConfigureKestrel(k => k.ListenRavioliRouter(new IPEndPoint(routerAddress, options.RouterPort),
            options.RouterHttp2Port > 0 ? new IPEndPoint(routerAddress, options.RouterHttp2Port) : null));
        var logs = new AppLogStore(Microsoft.Extensions.Options.Options.Create(options));
        routerBuilder.Services.AddSingleton<IAccessLog>(new RouterLogSink(logs));
        var router = routerBuilder.Build();
        router.MapRavioliRouter();

        var s = apiBuilder.Services;
        s.AddSingleton(logs);
        s.AddSingleton<NodeEventLog>();
        s.AddSingleton(router.Services.GetRequiredService<RouteTableStore>());
        s.AddSingleton(router.Services.GetRequiredService<Ravioli.Router.Metrics.RouterMetrics>());
        s.AddSingleton(_ => NodeToken.FromDataDirectory(options.DataDirectory));
        s.AddSingleton(TimeProvider.System);
        s.AddHttpClient(nameof(DesiredStateSource));
        s.AddHttpClient(nameof(DropletCache), c => c.Timeout = Timeout.InfiniteTimeSpan);
        s.AddSingleton<DesiredStateSource>(sp => ActivatorUtilities.CreateInstance<DesiredStateSource>(sp, sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(DesiredStateSource))));
        s.AddSingleton<DropletCache>(sp => ActivatorUtilities.CreateInstance<DropletCache>(sp, sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(DropletCache))));
        s.AddSingleton(sp => new LocalExecutor(new LocalExecutorOptions
        {
            // Instance directories are bound into sandboxes, so they live where the sandbox uid can reach them.
            StateDirectory = Path.Combine(RuntimeDirectory.For(options.DataDirectory), "executor"),
            ImmediateRestarts = options.ImmediateRestarts,
            InitialRestartDelay = options.InitialRestartDelay,
            MaxRestartDelay = options.MaxRestartDelay,
            RequireSandbox = options.RequireSandbox,
        }, sp.GetRequiredService<ILogger<LocalExecutor>>(), sp.GetRequiredService<TimeProvider>()));
        s.AddSingleton<NodeReconciler>();
        apiBuilder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.NodePort));
        var api = apiBuilder.Build();
        api.MapNodeInternalApi();
        return new NodeHost(api, router);
    }

    public async Task StartAsync(CancellationToken ct = default)
    {
        var logger = Api.Services.GetRequiredService<ILogger<NodeHost>>();
        await Executor.StartAsync(ct);
        var isolation = Executor.Isolation;
        var limits = string.Join(", ", isolation.EnforcedLimits);
        var warnings = isolation.Warnings.Count == 0 ? "none" : string.Join("; ", isolation.Warnings);
        LogIsolation(logger, isolation.Sandbox, isolation.CgroupVersion, limits, warnings);
        await Router.StartAsync(ct);
        await Api.StartAsync(ct);
        var token = _stopping.Token;
        var reconciling = CancellationTokenSource.CreateLinkedTokenSource(token, _stopReconciling.Token);
        _reconcileLoop = Task.Run(async () =>
        {
            using (reconciling)
            {
                await RunLoopAsync(logger, reconciling.Token);
            }
        }, CancellationToken.None);
        _loops.Add(_reconcileLoop);
        if (Options.WatchTime > TimeSpan.Zero)
        {
            _loops.Add(Task.Run(() => WatchDesiredAsync(logger, token), CancellationToken.None));
        }
        _loops.Add(Task.Run(() => PumpOutputAsync(token), CancellationToken.None));
        _loops.Add(Task.Run(() => PumpEventsAsync(token), CancellationToken.None));
    }

    public Uri RouterAddress => Address(Router);
    public Uri ApiAddress => Address(Api);

    private static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    private readonly SemaphoreSlim _wake = new(0);

    // Owned with the host: disposed in DisposeAsync after the loops that wait on it have ended.

    /// <summary>Nudges the loop to reconcile now (an instance changed state, or a new desired set).</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    private async Task RunLoopAsync(ILogger logger, CancellationToken ct)
    {
        var desired = Api.Services.GetRequiredService<DesiredStateSource>();
        var reconciler = Api.Services.GetRequiredService<NodeReconciler>();
        var lastPoll = DateTimeOffset.MinValue;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // With a watch running, the set arrives by WatchDesiredAsync; without one, it is polled here. The first
                // pass always reads it first, so a restarted node does not act on a desired.json that is out of date.
                if ((Options.WatchTime <= TimeSpan.Zero || lastPoll == DateTimeOffset.MinValue) && DateTimeOffset.UtcNow - lastPoll >= Options.PollInterval)
                {
                    lastPoll = DateTimeOffset.UtcNow;
                    await desired.RefreshAsync(ct);
                }
                await reconciler.ReconcileAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Level-triggered: the next pass starts from scratch, so one failure is only a delay.
                LogPassFailed(logger, e);
            }
            await _wake.WaitAsync(Options.ReconcileInterval < Options.PollInterval ? Options.ReconcileInterval : Options.PollInterval, ct).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Watches the desired set: each read is held by the control plane until the set changes, and a change wakes the
    /// reconciler at once. A read that comes back early without news (the control plane unreachable, restarting, or
    /// not holding watches) is followed by a pause of one poll interval, so an outage is never a busy loop.
    /// </summary>
    private async Task WatchDesiredAsync(ILogger logger, CancellationToken ct)
    {
        var desired = Api.Services.GetRequiredService<DesiredStateSource>();
        while (!ct.IsCancellationRequested)
        {
            var started = DateTimeOffset.UtcNow;
            var pause = false;
            try
            {
                if (await desired.RefreshAsync(Options.WatchTime, ct))
                {
                    Wake();
                    continue;
                }
                pause = DateTimeOffset.UtcNow - started < Options.WatchTime / 2;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // This loop is the node's only way to learn new desired state: whatever one read throws (a body cut
                // off by a dying control plane, a full disk for desired.json), it must live on and read again.
                LogWatchFailed(logger, e);
                pause = true;
            }
            if (pause)
            {
                await Task.Delay(Options.PollInterval, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task PumpOutputAsync(CancellationToken ct)
    {
        var logs = Api.Services.GetRequiredService<AppLogStore>();
        try
        {
            await foreach (var line in Executor.Output.ReadAllAsync(ct))
            {
                logs.Append(line.AppGuid, new LogLine(line.Timestamp, $"APP/PROC/{line.ProcessType.ToUpperInvariant()}",
                    line.Index.ToString(CultureInfo.InvariantCulture), line.Stream, line.Text));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task PumpEventsAsync(CancellationToken ct)
    {
        var logs = Api.Services.GetRequiredService<AppLogStore>();
        var events = Api.Services.GetRequiredService<NodeEventLog>();
        try
        {
            await foreach (var e in Executor.Events.ReadAllAsync(ct))
            {
                // Crashes and task ends become audit events and task states; warnings (a limit the kernel enforced,
                // weaker isolation) are kept beside them so what happened to an instance can be read back in one place.
                if (e.Type is InstanceEventTypes.Crashed or InstanceEventTypes.Completed or InstanceEventTypes.Warning)
                {
                    events.Append(e.Type, e.InstanceGuid, e.AppGuid, e.ProcessType, e.Index, e.Timestamp, e.ExitCode, e.Reason, e.CrashCount);
                }
                var message = e.Reason is null ? $"Instance {e.Type}" : $"Instance {e.Type}: {e.Reason}";
                logs.Append(e.AppGuid, new LogLine(e.Timestamp, "CELL", e.Index.ToString(CultureInfo.InvariantCulture), "out", message));
                Wake();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Stops every app instance, as './ravioli down' asks. Reconciling stops first: a pass after the executor emptied
    /// its set (a drain ending, a replacement finishing) would apply the desired set again and start instances that
    /// then outlive the node. Output and events keep flowing until <see cref="DisposeAsync"/>.
    /// </summary>
    public async Task StopAppsAsync(CancellationToken ct = default)
    {
        await _stopReconciling.CancelAsync();
        await _reconcileLoop.WaitAsync(TimeSpan.FromSeconds(10), ct).ContinueWith(_ => { }, TaskScheduler.Default);
        await Executor.StopAllAsync(ct);
    }

    /// <summary>Stops the node agent but leaves the instances running, so a restarted node adopts them.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        await Api.StopAsync();
        await Router.StopAsync();
        await Executor.DisposeAsync();
        await Api.DisposeAsync();
        await Router.DisposeAsync();
        _stopping.Dispose();
        _stopReconciling.Dispose();
        _wake.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Isolation on this host: sandbox {Sandbox}, cgroups {Cgroups}, enforced limits: {Limits}; warnings: {Warnings}")]
    private static partial void LogIsolation(ILogger logger, string sandbox, string cgroups, string limits, string warnings);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the desired set failed; reading again")]
    private static partial void LogWatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A reconcile pass failed; the next one retries")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}

/// <summary>
/// Turns router access log entries into RTR log lines of the app. The router calls Write on the request path,
/// so it only enqueues (bounded: under overload the oldest lines go, never a request's latency); formatting the
/// gorouter line and taking the log store's lock happen on a background reader, in batches.
/// </summary>
internal sealed class RouterLogSink : IAccessLog
{
    // A reader that waits for every entry is woken by every request: a thread switch per request, which cost
    // the router more than formatting the line. Sleeping between batches, it is woken at most this often and
    // lines reach `rav logs` at most this late.
    private static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(200);

    private readonly System.Threading.Channels.Channel<AccessLogEntry> _queue = System.Threading.Channels.Channel.CreateBounded<AccessLogEntry>(
        new System.Threading.Channels.BoundedChannelOptions(50_000) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropOldest, SingleReader = true });

    public RouterLogSink(AppLogStore logs)
    {
        _ = Task.Run(async () =>
        {
            var reader = _queue.Reader;
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var entry))
                {
                    logs.Append(entry.AppGuid!, new LogLine(entry.Timestamp, "RTR", entry.InstanceIndex?.ToString(CultureInfo.InvariantCulture) ?? "", "out", AccessLogFormatter.Format(entry)));
                }
                await Task.Delay(BatchInterval);
            }
        });
    }

    public void Write(AccessLogEntry entry)
    {
        if (entry.AppGuid is not null)
        {
            _queue.Writer.TryWrite(entry);
        }
    }
}
