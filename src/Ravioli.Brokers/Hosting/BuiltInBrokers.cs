using Microsoft.Extensions.Logging;
using Ravioli.Brokers.Engine;
using Ravioli.Brokers.MariaDb;
using Ravioli.Brokers.PostgreSql;
using Ravioli.Brokers.Processes;
using Ravioli.Brokers.RabbitMq;
using Ravioli.Brokers.Redis;
using Ravioli.Brokers.State;

namespace Ravioli.Brokers.Hosting;

/// <summary>
/// The set of built-in brokers of one installation: decides which are offered (enabled and installed), starts their
/// backing servers (in parallel: RabbitMQ alone takes seconds), owns their engines and their basic-auth credentials.
/// </summary>
internal sealed class BuiltInBrokers : IBuiltInBrokers, IAsyncDisposable
{
    private readonly BrokerOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private readonly Dictionary<string, BrokerEngine> _engines = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BuiltInBroker> _brokers = new(StringComparer.Ordinal);
    private volatile bool _started;
    private readonly TaskCompletionSource _startedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public BuiltInBrokers(BrokerOptions options, ILoggerFactory loggers)
    {
        _options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger("Ravioli.Brokers");
    }

    public bool IsStarted => _started;

    /// <summary>
    /// Waits (at most <paramref name="limit"/>) for the brokers to have started; true if they have. A request that
    /// arrives during start-up waits rather than getting 503: after a crash the platform re-sends in-flight requests
    /// at once, and a 5xx to a re-sent provision would fail an instance the broker is about to resume.
    /// </summary>
    public async Task<bool> WaitStartedAsync(TimeSpan limit, CancellationToken ct)
    {
        if (_started)
        {
            return true;
        }
        try
        {
            await _startedSignal.Task.WaitAsync(limit, ct);
        }
        catch (TimeoutException)
        {
        }
        return _started;
    }

    public BuiltInBroker? FindBroker(string name)
    {
        lock (_brokers)
        {
            return _brokers.GetValueOrDefault(name);
        }
    }

    public bool TryGetEngine(string name, out BrokerEngine engine)
    {
        lock (_brokers)
        {
            return _engines.TryGetValue(name, out engine!) && _brokers.ContainsKey(name);
        }
    }

    public async Task<IReadOnlyList<BuiltInBroker>> StartAsync(CancellationToken ct)
    {
        await _startLock.WaitAsync(ct);
        try
        {
            if (_started)
            {
                lock (_brokers)
                {
                    return [.. _brokers.Values];
                }
            }
            var brokersRoot = Path.Combine(_options.DataDirectory, "brokers");
            Directory.CreateDirectory(_options.DataDirectory);
            Files.EnsurePrivateDirectory(brokersRoot);
            var engines = CreateEngines();
            var results = await Task.WhenAll(engines.Select(async engine =>
            {
                try
                {
                    await engine.StartAsync(ct);
                    return engine;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    Log.StartFailed(_logger, engine.Name, BrokerEngine.Describe(ex));
                    await engine.DisposeAsync();
                    return null;
                }
            }));
            lock (_brokers)
            {
                foreach (var engine in results.OfType<BrokerEngine>())
                {
                    _engines[engine.Name] = engine;
                    var dir = Path.Combine(brokersRoot, engine.Name);
                    Files.EnsurePrivateDirectory(dir);
                    var password = Files.ReadOrCreateSecret(Path.Combine(dir, "broker-password"), () => Generate.Password());
                    _brokers[engine.Name] = new BuiltInBroker(engine.Name, BrokerNames.PathPrefix(engine.Name), $"ravioli-{engine.Name}-broker", password);
                    Log.Offered(_logger, engine.Name, BrokerNames.PathPrefix(engine.Name));
                }
                _started = true;
                _startedSignal.TrySetResult();
                return [.. BrokerNames.All.Where(_brokers.ContainsKey).Select(n => _brokers[n])];
            }
        }
        finally
        {
            _startLock.Release();
        }
    }

    public async Task StopServersAsync(CancellationToken ct)
    {
        await _startLock.WaitAsync(ct);
        try
        {
            List<BrokerEngine> engines;
            lock (_brokers)
            {
                engines = [.. _engines.Values];
            }
            if (!_started)
            {
                // `ravioli down --services` in a fresh process: read the state of every broker, start nothing, stop all.
                engines = [.. CreateEngines(quiet: true).Where(e => Directory.Exists(Path.Combine(_options.DataDirectory, "brokers", e.Name)))];
                foreach (var engine in engines)
                {
                    engine.LoadOnly();
                }
            }
            foreach (var engine in engines)
            {
                try
                {
                    await engine.StopServersAsync(ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.OperationFailed(_logger, engine.Name, "-", "stop servers", BrokerEngine.Describe(ex));
                }
            }
        }
        finally
        {
            _startLock.Release();
        }
    }

    /// <summary>The engine of a broker (tests).</summary>
    internal BrokerEngine Engine(string name)
    {
        lock (_brokers)
        {
            return _engines[name];
        }
    }

    private List<BrokerEngine> CreateEngines(bool quiet = false)
    {
        var engines = new List<BrokerEngine>();
        foreach (var name in BrokerNames.All)
        {
            if (_options.Enabled is not null && !_options.Enabled.Contains(name))
            {
                continue;
            }
            var logger = _loggers.CreateLogger($"Ravioli.Brokers.{name}");
            var backend = CreateBackend(name, logger, out var missing, out var package);
            if (backend is null)
            {
                if (!quiet)
                {
                    Log.NotInstalled(_logger, name, missing!, package!);
                }
                continue;
            }
            engines.Add(new BrokerEngine(backend, new StateStore(Path.Combine(_options.DataDirectory, "brokers", name)), logger));
        }
        return engines;
    }

    private IBrokerBackend? CreateBackend(string name, ILogger logger, out string? missing, out string? package)
    {
        missing = null;
        package = null;
        switch (name)
        {
            case BrokerNames.PostgreSql:
                var bin = Binaries.PostgresBinDirectory();
                if (bin is null && _options.PostgresAdminConnectionString is null)
                {
                    (missing, package) = ("initdb and pg_ctl were not found under /usr/lib/postgresql/*/bin or on PATH", "postgresql");
                    return null;
                }
                return new PostgreSqlBackend(_options, bin, logger);
            case BrokerNames.Redis:
                var redis = Binaries.Find("redis-server");
                if (redis is null)
                {
                    (missing, package) = ("redis-server was not found", "redis-server");
                    return null;
                }
                return new RedisBackend(_options, redis, logger);
            case BrokerNames.MariaDb:
                var client = Binaries.FindFirst("mariadb", "mysql");
                if (client is null)
                {
                    (missing, package) = ("the mariadb client was not found", "mariadb-client");
                    return null;
                }
                if (_options.MariaDbAdminConnectionString is null && (Binaries.Find("mariadbd") is null || Binaries.Find("mariadb-install-db") is null))
                {
                    (missing, package) = ("mariadbd or mariadb-install-db was not found", "mariadb-server");
                    return null;
                }
                return new MariaDbBackend(_options, client, logger);
            case BrokerNames.RabbitMq:
                if (!RabbitMqNode.Installed)
                {
                    (missing, package) = ("/usr/lib/rabbitmq/bin/rabbitmq-server was not found", "rabbitmq-server");
                    return null;
                }
                return new RabbitMqBackend(_options, logger);
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "unknown broker");
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<BrokerEngine> engines;
        lock (_brokers)
        {
            engines = [.. _engines.Values];
            _engines.Clear();
            _brokers.Clear();
            _started = false;
        }
        foreach (var engine in engines)
        {
            await engine.DisposeAsync();
            (engine.Backend as IDisposable)?.Dispose();
        }
        _startLock.Dispose();
    }
}
