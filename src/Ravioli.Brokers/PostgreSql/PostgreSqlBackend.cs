using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Npgsql;
using Ravioli.Brokers.Engine;
using Ravioli.Brokers.Hosting;
using Ravioli.Brokers.Processes;
using Ravioli.Brokers.State;

namespace Ravioli.Brokers.PostgreSql;

/// <summary>
/// PostgreSQL: plan <c>shared</c> is a database plus a NOLOGIN owner role on one platform cluster (or an operator's
/// server); plan <c>dedicated</c> is a cluster of its own per instance. A binding is a login role that is a member of
/// the owner role.
/// </summary>
internal sealed class PostgreSqlBackend : IBrokerBackend
{
    public const string ServiceId = "acd8efc2-9fe0-4ebd-ab79-1cbfbc22bbb7";
    public const string SharedPlanId = "3887af4a-d65e-4759-931b-9eed3b2e8fab";
    public const string DedicatedPlanId = "d727a00a-99e7-44ed-839e-c88f436188f2";

    private static readonly PostgresTuning SharedTuning = new(200, "128MB");
    private static readonly PostgresTuning DedicatedTuning = new(50, "16MB");

    private readonly BrokerOptions _options;
    private readonly string? _binDirectory;
    private readonly ILogger _logger;
    private readonly string _dedicatedRoot;
    private PostgresCluster? _sharedCluster;
    private string? _sharedAdmin;
    private string _sharedHost = "127.0.0.1";
    private int _sharedPort;

    public PostgreSqlBackend(BrokerOptions options, string? binDirectory, ILogger logger)
    {
        _options = options;
        _binDirectory = binDirectory;
        _logger = logger;
        _dedicatedRoot = Path.Combine(options.DataDirectory, "services", "postgresql-dedicated");
        var plans = new List<PlanDefinition>
        {
            new(SharedPlanId, "shared", "A database and its owner role on the platform's shared PostgreSQL cluster")
            {
                Metadata = new JsonObject
                {
                    ["displayName"] = "Shared",
                    ["bullets"] = new JsonArray("Own database on a shared PostgreSQL server", "One login role per binding"),
                },
            },
        };
        if (binDirectory is not null)
        {
            plans.Add(new(DedicatedPlanId, "dedicated", "A PostgreSQL cluster of its own (own process and port) per instance")
            {
                AsyncProvision = true,
                AsyncDeprovision = true,
                Metadata = new JsonObject
                {
                    ["displayName"] = "Dedicated",
                    ["bullets"] = new JsonArray("Own PostgreSQL server process", $"max_connections {DedicatedTuning.MaxConnections}", $"shared_buffers {DedicatedTuning.SharedBuffers}"),
                },
            });
        }
        Service = new ServiceDefinition(ServiceId, "postgresql", "PostgreSQL relational database", ["postgresql", "postgres", "relational", "sql"], plans)
        {
            Metadata = new JsonObject { ["displayName"] = "PostgreSQL", ["providerDisplayName"] = "Ravioli", ["longDescription"] = "PostgreSQL databases; plans cannot be changed after creation (shared and dedicated keep their data in different servers)." },
        };
    }

    public string Name => BrokerNames.PostgreSql;

    public ServiceDefinition Service { get; }

    public async Task StartAsync(CancellationToken ct)
    {
        if (_options.PostgresAdminConnectionString is { } external)
        {
            var builder = new NpgsqlConnectionStringBuilder(external) { Pooling = false };
            _sharedAdmin = builder.ConnectionString;
            _sharedHost = builder.Host ?? "127.0.0.1";
            _sharedPort = builder.Port;
            await using var conn = new NpgsqlConnection(_sharedAdmin);
            await conn.OpenAsync(ct);
            Log.Server(_logger, "postgresql", "using an existing server", $"{_sharedHost}:{_sharedPort}");
            return;
        }
        var dir = new ServiceDirectory(_options.DataDirectory, "postgresql");
        _sharedPort = dir.Port("postgresql");
        var password = dir.Password("admin");
        _sharedCluster = new PostgresCluster(dir.Sub("cluster"), _binDirectory!, _logger);
        await _sharedCluster.EnsureRunningAsync(_sharedPort, password, SharedTuning, ct);
        _sharedAdmin = PostgresCluster.AdminConnectionString(_sharedPort, password);
    }

    public async Task ProvisionAsync(InstanceRecord instance, PlanDefinition plan, Func<Task> checkpoint, CancellationToken ct)
    {
        instance.Details["database"] = "db_" + Generate.Hash(instance.Id);
        instance.Details["owner"] = "own_" + Generate.Hash(instance.Id);
        if (plan.Id == DedicatedPlanId)
        {
            if (!instance.Details.ContainsKey("port"))
            {
                instance.Details["port"] = Generate.FreePort().ToString(CultureInfo.InvariantCulture);
                instance.Details["directory"] = Path.Combine(_dedicatedRoot, Generate.Hash(instance.Id));
                instance.Secrets["superuser_password"] = Generate.Password();
            }
            await checkpoint();
            Files.AllowTraverse(_options.DataDirectory);
            Files.EnsureTraversableDirectory(Path.Combine(_options.DataDirectory, "services"));
            Files.EnsureTraversableDirectory(_dedicatedRoot);
            await Dedicated(instance).EnsureRunningAsync(Port(instance), instance.Secrets["superuser_password"], DedicatedTuning, ct);
        }
        else
        {
            await checkpoint();
        }
        await Admin(instance).EnsureDatabaseAsync(instance.Details["database"], instance.Details["owner"], ct);
    }

    public string? RefusePlanChange(PlanDefinition from, PlanDefinition to) =>
        $"changing plan '{from.Name}' to '{to.Name}' would move the data to another server, which this broker does not do; create a new instance and migrate";

    public Task UpdateAsync(InstanceRecord instance, PlanDefinition plan, JsonObject? parameters, CancellationToken ct) => Task.CompletedTask;

    public async Task DeprovisionAsync(InstanceRecord instance, IReadOnlyList<BindingRecord> bindings, CancellationToken ct)
    {
        if (instance.PlanId == DedicatedPlanId)
        {
            if (instance.Details.ContainsKey("directory"))
            {
                await Dedicated(instance).DestroyAsync(ct);
            }
            return;
        }
        if (!instance.Details.TryGetValue("database", out var database))
        {
            return;
        }
        var roles = bindings.Select(b => RoleName(b)).ToList();
        await Admin(instance).DropDatabaseAsync(database, instance.Details["owner"], roles, ct);
    }

    public async Task<JsonObject> BindAsync(InstanceRecord instance, BindingRecord binding, CancellationToken ct)
    {
        var role = RoleName(binding);
        var password = binding.Secrets["password"];
        var database = instance.Details["database"];
        await Admin(instance).EnsureLoginRoleAsync(database, instance.Details["owner"], role, password, ct);
        var host = instance.PlanId == DedicatedPlanId ? "127.0.0.1" : _sharedHost;
        var port = instance.PlanId == DedicatedPlanId ? Port(instance) : _sharedPort;
        var p = port.ToString(CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["uri"] = $"postgres://{role}:{password}@{host}:{p}/{database}",
            ["jdbcUrl"] = $"jdbc:postgresql://{host}:{p}/{database}?user={role}&password={password}",
            ["hostname"] = host,
            ["port"] = port,
            ["name"] = database,
            ["username"] = role,
            ["password"] = password,
        };
    }

    public async Task UnbindAsync(InstanceRecord instance, BindingRecord binding, CancellationToken ct)
    {
        if (instance.PlanId == DedicatedPlanId && Dedicated(instance).RunningPid == 0)
        {
            return; // nothing to remove from a cluster that does not run (a failed or half-made instance)
        }
        await Admin(instance).DropLoginRoleAsync(instance.Details["database"], instance.Details["owner"], RoleName(binding), ct);
    }

    public async Task RecoverAsync(InstanceRecord instance, CancellationToken ct)
    {
        if (instance.PlanId == DedicatedPlanId)
        {
            await Dedicated(instance).EnsureRunningAsync(Port(instance), instance.Secrets["superuser_password"], DedicatedTuning, ct);
        }
    }

    public async Task StopServersAsync(IReadOnlyList<InstanceRecord> instances, CancellationToken ct)
    {
        foreach (var instance in instances.Where(i => i.PlanId == DedicatedPlanId && i.Details.ContainsKey("directory")))
        {
            await Dedicated(instance).StopAsync(ct);
        }
        if (_options.PostgresAdminConnectionString is null && _binDirectory is not null)
        {
            var cluster = _sharedCluster ?? new PostgresCluster(Path.Combine(_options.DataDirectory, "services", "postgresql", "cluster"), _binDirectory, _logger);
            await cluster.StopAsync(ct);
        }
    }

    private PostgresCluster Dedicated(InstanceRecord instance) =>
        new(instance.Details["directory"], _binDirectory ?? throw new InvalidOperationException("PostgreSQL server programs are not installed"), _logger);

    private PostgresAdmin Admin(InstanceRecord instance) => instance.PlanId == DedicatedPlanId
        ? new PostgresAdmin(PostgresCluster.AdminConnectionString(Port(instance), instance.Secrets["superuser_password"]))
        : new PostgresAdmin(_sharedAdmin ?? throw new InvalidOperationException("the shared PostgreSQL server has not been started"));

    private static int Port(InstanceRecord instance) => int.Parse(instance.Details["port"], CultureInfo.InvariantCulture);

    private static string RoleName(BindingRecord binding) => "u_" + Generate.Hash(binding.InstanceId + "/" + binding.Id);
}
