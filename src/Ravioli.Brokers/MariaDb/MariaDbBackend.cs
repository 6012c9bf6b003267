using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Ravioli.Brokers.Engine;
using Ravioli.Brokers.Hosting;
using Ravioli.Brokers.Processes;
using Ravioli.Brokers.State;

namespace Ravioli.Brokers.MariaDb;

/// <summary>MariaDB: plan <c>shared</c> is a database on one server; a binding is a user with ALL on that database.</summary>
internal sealed class MariaDbBackend : IBrokerBackend
{
    public const string ServiceId = "de4277b4-9541-4603-8f6f-aef01db4672f";
    public const string SharedPlanId = "5b0bdc0a-7dd4-4731-8894-0a01fc908e9f";

    private readonly BrokerOptions _options;
    private readonly string _clientProgram;
    private readonly ILogger _logger;
    private MariaDbClient? _client;
    private MariaDbServer? _server;

    public MariaDbBackend(BrokerOptions options, string clientProgram, ILogger logger)
    {
        _options = options;
        _clientProgram = clientProgram;
        _logger = logger;
        Service = new ServiceDefinition(ServiceId, "mariadb", "MariaDB (MySQL-compatible) relational database", ["mariadb", "mysql", "relational", "sql"],
        [
            new(SharedPlanId, "shared", "A database on the platform's shared MariaDB server")
            {
                Metadata = new JsonObject
                {
                    ["displayName"] = "Shared",
                    ["bullets"] = new JsonArray("Own database on a shared MariaDB server", "One user per binding"),
                },
            },
        ])
        {
            Metadata = new JsonObject { ["displayName"] = "MariaDB", ["providerDisplayName"] = "Ravioli" },
        };
    }

    public string Name => BrokerNames.MariaDb;

    public ServiceDefinition Service { get; }

    private MariaDbClient Client => _client ?? throw new InvalidOperationException("the MariaDB server has not been started");

    public async Task StartAsync(CancellationToken ct)
    {
        var optionFile = Path.Combine(_options.DataDirectory, "brokers", Name, "admin.cnf");
        Files.EnsurePrivateDirectory(Path.GetDirectoryName(optionFile)!);
        if (_options.MariaDbAdminConnectionString is { } external)
        {
            _client = new MariaDbClient(_clientProgram, MariaDbEndpoint.Parse(external), optionFile);
            await _client.QueryAsync("SELECT 1;", ct);
            Log.Server(_logger, "mariadb", "using an existing server", $"{_client.Endpoint.Host}:{_client.Endpoint.Port}");
            return;
        }
        var dir = new ServiceDirectory(_options.DataDirectory, "mariadb");
        var port = dir.Port("mariadb");
        var password = dir.Password("admin");
        _client = new MariaDbClient(_clientProgram, new MariaDbEndpoint("127.0.0.1", port, MariaDbServer.AdminUser, password), optionFile);
        _server = new MariaDbServer(dir.Sub("server"), _logger);
        Directory.CreateDirectory(dir.Sub("server"));
        await _server.EnsureRunningAsync(port, password, _client, ct);
    }

    public async Task ProvisionAsync(InstanceRecord instance, PlanDefinition plan, Func<Task> checkpoint, CancellationToken ct)
    {
        instance.Details["database"] = "db_" + Generate.Hash(instance.Id);
        await checkpoint();
        await Client.QueryAsync(
            $"CREATE DATABASE IF NOT EXISTS {MariaDbClient.Identifier(instance.Details["database"])} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;", ct);
    }

    public string? RefusePlanChange(PlanDefinition from, PlanDefinition to) => "this service has a single plan";

    public Task UpdateAsync(InstanceRecord instance, PlanDefinition plan, JsonObject? parameters, CancellationToken ct) => Task.CompletedTask;

    public async Task DeprovisionAsync(InstanceRecord instance, IReadOnlyList<BindingRecord> bindings, CancellationToken ct)
    {
        if (!instance.Details.TryGetValue("database", out var database))
        {
            return;
        }
        foreach (var binding in bindings)
        {
            await DropUserAsync(UserName(binding), ct);
        }
        await Client.QueryAsync($"DROP DATABASE IF EXISTS {MariaDbClient.Identifier(database)};", ct);
    }

    public async Task<JsonObject> BindAsync(InstanceRecord instance, BindingRecord binding, CancellationToken ct)
    {
        var user = UserName(binding);
        var password = binding.Secrets["password"];
        var database = instance.Details["database"];
        var account = $"{MariaDbClient.Literal(user)}@'%'";
        await Client.QueryAsync(string.Join('\n',
            $"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY {MariaDbClient.Literal(password)};",
            $"ALTER USER {account} IDENTIFIED BY {MariaDbClient.Literal(password)};",
            $"GRANT ALL PRIVILEGES ON {MariaDbClient.Identifier(database)}.* TO {account};"), ct);
        var host = Client.Endpoint.Host is "localhost" ? "127.0.0.1" : Client.Endpoint.Host;
        var port = Client.Endpoint.Port;
        var p = port.ToString(CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["uri"] = $"mysql://{user}:{password}@{host}:{p}/{database}?reconnect=true",
            ["jdbcUrl"] = $"jdbc:mariadb://{host}:{p}/{database}?user={user}&password={password}",
            ["hostname"] = host,
            ["port"] = port,
            ["name"] = database,
            ["username"] = user,
            ["password"] = password,
        };
    }

    public Task UnbindAsync(InstanceRecord instance, BindingRecord binding, CancellationToken ct) => DropUserAsync(UserName(binding), ct);

    public Task RecoverAsync(InstanceRecord instance, CancellationToken ct) => Task.CompletedTask;

    public async Task StopServersAsync(IReadOnlyList<InstanceRecord> instances, CancellationToken ct)
    {
        if (_options.MariaDbAdminConnectionString is null)
        {
            var server = _server ?? new MariaDbServer(Path.Combine(_options.DataDirectory, "services", "mariadb", "server"), _logger);
            await server.StopAsync(ct);
        }
    }

    /// <summary>Drops the user after closing its connections (DROP USER alone leaves open sessions working).</summary>
    private async Task DropUserAsync(string user, CancellationToken ct)
    {
        await Client.QueryAsync($"DROP USER IF EXISTS {MariaDbClient.Literal(user)}@'%';", ct);
        var sessions = await Client.QueryAsync(
            $"SELECT id FROM information_schema.processlist WHERE user = {MariaDbClient.Literal(user)};", ct);
        foreach (var row in sessions)
        {
            if (long.TryParse(row[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                try
                {
                    await Client.QueryAsync($"KILL CONNECTION {id.ToString(CultureInfo.InvariantCulture)};", ct);
                }
                catch (ProcessFailedException)
                {
                    // The session ended on its own between the listing and the kill.
                }
            }
        }
    }

    private static string UserName(BindingRecord binding) => "u_" + Generate.Hash(binding.InstanceId + "/" + binding.Id);
}
