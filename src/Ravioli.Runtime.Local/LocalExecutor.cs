using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ravioli.Runtime.Local.Cgroups;
using Ravioli.Runtime.Local.Diagnostics;
using Ravioli.Runtime.Local.Health;
using Ravioli.Runtime.Local.Persistence;
using Ravioli.Runtime.Local.Ports;
using Ravioli.Runtime.Local.Sandbox;
using Ravioli.Runtime.Local.Supervision;

namespace Ravioli.Runtime.Local;

/// <summary>
/// The node agent's executor: runs the desired set of app instances as sandboxed, cgroup-limited processes on this
/// host, keeps them healthy and restarted, and re-adopts them after its own restart. Instances outlive it:
/// <see cref="DisposeAsync"/> stops supervising and leaves them running; <see cref="StopAllAsync"/> stops them.
/// </summary>
public sealed class LocalExecutor : IAsyncDisposable
{
    private readonly LocalExecutorOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<InstanceEvent> _events;
    private readonly Channel<AppOutputLine> _output;
    private readonly StateStore _store;
    private readonly HealthChecker _health = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, InstanceSupervisor> _supervisors = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, InstanceSpec> _desired = new Dictionary<string, InstanceSpec>();
    private ExecutorContext? _context;
    private int _disposed;

    public LocalExecutor(LocalExecutorOptions options, ILogger<LocalExecutor>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        // Dropping the oldest keeps a node without a reader from growing without bound; the log files keep the truth.
        _events = Channel.CreateBounded<InstanceEvent>(new BoundedChannelOptions(options.EventBufferCapacity) { FullMode = BoundedChannelFullMode.DropOldest });
        _output = Channel.CreateBounded<AppOutputLine>(new BoundedChannelOptions(options.OutputBufferCapacity) { FullMode = BoundedChannelFullMode.DropOldest });
        _store = new StateStore(options.StateDirectory);
        Isolation = new IsolationReport(SandboxModes.None, "none", [], ["not started"]);
    }

    /// <summary>What isolation this host provides (known after <see cref="StartAsync"/>).</summary>
    public IsolationReport Isolation { get; private set; }

    /// <summary>Instance lifecycle events: started, running, crashed, stopped, warning.</summary>
    public ChannelReader<InstanceEvent> Events => _events.Reader;

    /// <summary>Every line the apps write to stdout and stderr.</summary>
    public ChannelReader<AppOutputLine> Output => _output.Reader;

    /// <summary>Path of the persisted state (desired set and instance identities).</summary>
    public string StateFilePath => _store.FilePath;

    /// <summary>
    /// Detects the sandbox and cgroups, loads the persisted state, re-adopts instances whose wrapper still runs
    /// (never starting a duplicate), and resumes reconciling towards the persisted desired set.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_context is not null)
        {
            throw new InvalidOperationException("The executor is already started.");
        }

        var instancesDirectory = Path.Combine(_options.StateDirectory, "instances");
        CreateTraversableDirectory(_options.StateDirectory);
        CreateTraversableDirectory(instancesDirectory);
        var document = _store.Load() ?? new ExecutorStateDocument();

        var (sandbox, sandboxProblem) = await SandboxSetup.DetectAsync(_options, instancesDirectory, cancellationToken);
        var cgroups = CgroupHost.Detect(_options.CgroupFsRoot, _options.CgroupParent, out var cgroupProblem);
        var warnings = new List<string>();
        if (sandboxProblem is not null)
        {
            warnings.Add(sandbox.Mode == SandboxModes.None ? $"no sandbox: {sandboxProblem}" : sandboxProblem);
            Log.IsolationDegraded(_logger, sandbox.Mode == SandboxModes.None ? "WITHOUT A SANDBOX (they can see the host filesystem)" : "with a weaker sandbox", sandboxProblem);
        }

        if (cgroupProblem is not null)
        {
            warnings.Add($"no cgroup limits: {cgroupProblem}");
            Log.IsolationDegraded(_logger, "WITHOUT MEMORY, PIDS OR CPU LIMITS", cgroupProblem);
        }
        else if (cgroups.PortFilterProblem is { } portProblem)
        {
            warnings.Add($"no socket rules: {portProblem}");
            Log.IsolationDegraded(_logger, "WITHOUT SOCKET RULES (an app can bind any port on the host, the platform's included, and reach other instances past the router)", portProblem);
        }

        Isolation = new IsolationReport(sandbox.Mode, cgroups.Version, cgroups.Enforced, warnings);
        Log.IsolationDetected(_logger, sandbox.Mode, cgroups.Version, cgroups.Enforced.Count == 0 ? "none" : string.Join(", ", cgroups.Enforced));
        if (_options.RequireSandbox && (sandbox.Mode == SandboxModes.None || cgroups.Version == "none"))
        {
            throw new InvalidOperationException("RequireSandbox is set, but this host cannot isolate instances: " + string.Join("; ", warnings));
        }

        var ports = new PortAllocator(_options.PortRangeStart, _options.PortRangeEnd);
        foreach (var record in document.Instances)
        {
            if (record.Port is { } port)
            {
                ports.Reserve(port, record.Spec.InstanceGuid);
            }
        }

        var context = new ExecutorContext
        {
            Options = _options,
            Logger = _logger,
            Time = _time,
            Sandbox = sandbox,
            Cgroups = cgroups,
            Ports = ports,
            Health = _health,
            Events = _events.Writer,
            Output = _output.Writer,
            PersistAsync = PersistAsync,
            InstancesDirectory = instancesDirectory,
            IsolationWarning = warnings.Count == 0 ? null : "isolation degraded on this node: " + string.Join("; ", warnings),
        };

        Log.StateLoaded(_logger, document.Desired.Count, document.Instances.Count);
        lock (_gate)
        {
            _context = context;
            _desired = document.Desired.ToDictionary(s => s.InstanceGuid, StringComparer.Ordinal);
            foreach (var record in document.Instances)
            {
                StartSupervisor(new InstanceSupervisor(context, record.Spec, record));
            }
        }

        Reconcile();
        await PersistAsync(cancellationToken);
    }

    /// <summary>
    /// Makes <paramref name="desired"/> the whole desired set (level-triggered: missing instances start, extra ones
    /// stop, changed specs are replaced) and persists it before acting. Returns once the actions are under way.
    /// </summary>
    public async Task ApplyAsync(IReadOnlyList<InstanceSpec> desired, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_context is null)
        {
            throw new InvalidOperationException("Call StartAsync before ApplyAsync.");
        }

        SpecValidator.Validate(desired);
        lock (_gate)
        {
            _desired = desired.ToDictionary(s => s.InstanceGuid, StringComparer.Ordinal);
        }

        await PersistAsync(cancellationToken);
        Reconcile();
    }

    /// <summary>The observed state of every instance the executor supervises, stopping ones included.</summary>
    public IReadOnlyList<InstanceStatus> Snapshot()
    {
        lock (_gate)
        {
            return [.. _supervisors.Values
                .Select(s => s.Status)
                .OrderBy(s => s.AppGuid, StringComparer.Ordinal)
                .ThenBy(s => s.ProcessType, StringComparer.Ordinal)
                .ThenBy(s => s.Index)
                .ThenBy(s => s.InstanceGuid, StringComparer.Ordinal)];
        }
    }

    /// <summary>Stops every instance (SIGTERM, SIGKILL after each one's stop timeout) and empties the persisted desired set.</summary>
    public async Task StopAllAsync(CancellationToken cancellationToken = default)
    {
        await ApplyAsync([], cancellationToken);
        Task[] running;
        lock (_gate)
        {
            running = [.. _supervisors.Values.Select(s => s.Completion)];
        }

        await Task.WhenAll(running).WaitAsync(cancellationToken);
        lock (_gate)
        {
            foreach (var stopped in _supervisors.Values.Where(s => s.Completion.IsCompleted).ToList())
            {
                _supervisors.Remove(stopped.Spec.InstanceGuid);
            }
        }

        await PersistAsync(cancellationToken);
    }

    /// <summary>Stops supervising and persists the final state; the instances keep running for the next executor to adopt.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _shutdown.CancelAsync();
        Task[] running;
        lock (_gate)
        {
            running = [.. _supervisors.Values.Select(s => s.Completion)];
        }

        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_context is not null)
        {
            await PersistAsync(CancellationToken.None);
        }

        _events.Writer.TryComplete();
        _output.Writer.TryComplete();
        _health.Dispose();
        _store.Dispose();
        _shutdown.Dispose();
    }

    /// <summary>One level-triggered pass: compare the desired set with the supervisors and start, replace or stop.</summary>
    private void Reconcile()
    {
        if (_shutdown.IsCancellationRequested)
        {
            return;
        }

        lock (_gate)
        {
            var context = _context!;
            foreach (var spec in _desired.Values)
            {
                if (!_supervisors.TryGetValue(spec.InstanceGuid, out var supervisor))
                {
                    StartSupervisor(new InstanceSupervisor(context, spec, null));
                }
                else if (!supervisor.IsStopping && supervisor.Fingerprint != SpecFingerprint.Of(spec))
                {
                    // The replacement starts once this one has stopped (it completes and triggers another pass):
                    // both would use the same directory and cgroup.
                    supervisor.RequestStop("replaced by a changed spec");
                }
            }

            foreach (var supervisor in _supervisors.Values.Where(s => !s.IsStopping && !_desired.ContainsKey(s.Spec.InstanceGuid)))
            {
                supervisor.RequestStop("no longer desired");
            }
        }
    }

    private void StartSupervisor(InstanceSupervisor supervisor)
    {
        _supervisors[supervisor.Spec.InstanceGuid] = supervisor;
        supervisor.Start(_shutdown.Token);
        _ = supervisor.Completion.ContinueWith(_ => OnSupervisorCompletedAsync(supervisor), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
    }

    private async Task OnSupervisorCompletedAsync(InstanceSupervisor supervisor)
    {
        if (_shutdown.IsCancellationRequested)
        {
            return;
        }

        lock (_gate)
        {
            if (_supervisors.TryGetValue(supervisor.Spec.InstanceGuid, out var current) && ReferenceEquals(current, supervisor))
            {
                _supervisors.Remove(supervisor.Spec.InstanceGuid);
            }
        }

        try
        {
            await PersistAsync(_shutdown.Token);
            Reconcile();
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // Disposing: the final write happens in DisposeAsync.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.PersistFailed(_logger, e);
        }
    }

    private Task PersistAsync(CancellationToken cancellationToken) =>
        _store.SaveAsync(
            () =>
            {
                lock (_gate)
                {
                    return new ExecutorStateDocument
                    {
                        Desired = [.. _desired.Values.OrderBy(s => s.InstanceGuid, StringComparer.Ordinal)],
                        Instances = [.. _supervisors.Values.Select(s => s.Record).OrderBy(r => r.Spec.InstanceGuid, StringComparer.Ordinal)],
                    };
                }
            },
            cancellationToken);

    private static void CreateTraversableDirectory(string path)
    {
        Directory.CreateDirectory(path);
        // rwx--x--x: the sandbox uid must traverse to its app directory; it may list nothing on the way.
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }
}
