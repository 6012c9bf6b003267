using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Ravioli.Brokers.Engine;
using Ravioli.Brokers.Hosting;
using Ravioli.Brokers.Processes;
using Ravioli.Brokers.State;

namespace Ravioli.Brokers.Redis;

/// <summary>
/// Redis: every instance is a redis-server of its own (plans differ in maxmemory); every binding is an ACL user with
/// access to all keys and data commands but no admin commands, deleted (and its connections closed) on unbind.
/// </summary>
internal sealed class RedisBackend : IBrokerBackend
{
    public const string ServiceId = "7fae3cbf-5cca-4b5c-87be-b012b8fee1d3";
    public const string DedicatedPlanId = "934ed723-3a8b-4555-aa3d-7c6635a0c962";
    public const string DedicatedLargePlanId = "8e553645-a517-47cf-bf7f-bf10e1ef38bb";
    public const string DefaultPolicy = "noeviction";

    public static readonly IReadOnlyList<string> Policies =
        ["noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"];

    private readonly BrokerOptions _options;
    private readonly string _serverProgram;
    private readonly ILogger _logger;
    private readonly string _root;

    public RedisBackend(BrokerOptions options, string serverProgram, ILogger logger)
    {
        _options = options;
        _serverProgram = serverProgram;
        _logger = logger;
        _root = Path.Combine(options.DataDirectory, "services", "redis");
        var policy = new ParameterSpec("maxmemory_policy", $"What Redis does when maxmemory is reached (default {DefaultPolicy})", Policies);
        PlanDefinition Plan(string id, string name, string maxMemory, string other) => new(id, name, $"A dedicated Redis 7 server with maxmemory {maxMemory}")
        {
            AsyncProvision = true,
            AsyncDeprovision = true,
            Parameters = [policy],
            UpdatableTo = [other],
            Metadata = new JsonObject
            {
                ["displayName"] = $"Dedicated {maxMemory}",
                ["maxmemory"] = maxMemory,
                ["bullets"] = new JsonArray("Own redis-server process", $"maxmemory {maxMemory}", "One ACL user per binding"),
            },
        };
        Service = new ServiceDefinition(ServiceId, "redis", "Redis key-value store", ["redis", "key-value", "caching"],
            [Plan(DedicatedPlanId, "dedicated", "64mb", DedicatedLargePlanId), Plan(DedicatedLargePlanId, "dedicated-large", "256mb", DedicatedPlanId)])
        {
            Metadata = new JsonObject { ["displayName"] = "Redis", ["providerDisplayName"] = "Ravioli", ["longDescription"] = "Plans can be changed in place (maxmemory is applied live); parameter maxmemory_policy can be set on create and update." },
        };
    }

    public string Name => BrokerNames.Redis;

    public ServiceDefinition Service { get; }

    public Task StartAsync(CancellationToken ct)
    {
        Files.AllowTraverse(_options.DataDirectory);
        Files.EnsureTraversableDirectory(Path.Combine(_options.DataDirectory, "services"));
        Files.EnsureTraversableDirectory(_root);
        return Task.CompletedTask;
    }

    public async Task ProvisionAsync(InstanceRecord instance, PlanDefinition plan, Func<Task> checkpoint, CancellationToken ct)
    {
        if (!instance.Details.ContainsKey("port"))
        {
            instance.Details["port"] = Generate.FreePort().ToString(CultureInfo.InvariantCulture);
            instance.Details["directory"] = Path.Combine(_root, Generate.Hash(instance.Id));
            instance.Secrets["admin_password"] = Generate.Password();
            await checkpoint();
        }
        await Server(instance).EnsureRunningAsync(Settings(instance, plan, instance.Parameters), instance.Secrets["admin_password"], ct);
    }

    public string? RefusePlanChange(PlanDefinition from, PlanDefinition to) => null;

    public async Task UpdateAsync(InstanceRecord instance, PlanDefinition plan, JsonObject? parameters, CancellationToken ct)
    {
        var settings = Settings(instance, plan, parameters);
        await using (var admin = await AdminAsync(instance, ct))
        {
            await admin.CheckedAsync(ct, "CONFIG", "SET", "maxmemory", settings.MaxMemory);
            await admin.CheckedAsync(ct, "CONFIG", "SET", "maxmemory-policy", settings.MaxMemoryPolicy);
        }
        await Server(instance).WriteConfigAsync(settings, ct);
    }

    public async Task DeprovisionAsync(InstanceRecord instance, IReadOnlyList<BindingRecord> bindings, CancellationToken ct)
    {
        if (!instance.Details.ContainsKey("directory"))
        {
            return;
        }
        var server = Server(instance);
        await server.StopAsync(Port(instance), instance.Secrets["admin_password"], discard: true, ct);
        await Files.DeleteTreeAsync(server.Directory, ct);
    }

    public async Task<JsonObject> BindAsync(InstanceRecord instance, BindingRecord binding, CancellationToken ct)
    {
        var user = UserName(binding);
        var password = binding.Secrets["password"];
        await using (var admin = await AdminAsync(instance, ct))
        {
            // reset first, so a retried bind ends with exactly these rights and this one password.
            await admin.CheckedAsync(ct, "ACL", "SETUSER", user, "reset", "on", ">" + password, "~*", "&*", "+@all", "-@admin");
            await admin.CheckedAsync(ct, "ACL", "SAVE");
        }
        var port = Port(instance);
        return new JsonObject
        {
            ["uri"] = $"redis://{user}:{password}@127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            ["hostname"] = "127.0.0.1",
            ["host"] = "127.0.0.1",
            ["port"] = port,
            ["username"] = user,
            ["password"] = password,
        };
    }

    public async Task UnbindAsync(InstanceRecord instance, BindingRecord binding, CancellationToken ct)
    {
        if (!instance.Details.ContainsKey("port") || Server(instance).RunningPid == 0)
        {
            return;
        }
        await using var admin = await AdminAsync(instance, ct);
        // ACL DELUSER also disconnects every client authenticated as that user.
        await admin.CheckedAsync(ct, "ACL", "DELUSER", UserName(binding));
        await admin.CheckedAsync(ct, "ACL", "SAVE");
    }

    public async Task RecoverAsync(InstanceRecord instance, CancellationToken ct)
    {
        var plan = Service.FindPlan(instance.PlanId) ?? Service.Plans[0];
        await Server(instance).EnsureRunningAsync(Settings(instance, plan, instance.Parameters), instance.Secrets["admin_password"], ct);
    }

    public async Task StopServersAsync(IReadOnlyList<InstanceRecord> instances, CancellationToken ct)
    {
        foreach (var instance in instances.Where(i => i.Details.ContainsKey("directory") && i.Secrets.ContainsKey("admin_password")))
        {
            await Server(instance).StopAsync(Port(instance), instance.Secrets["admin_password"], discard: false, ct);
        }
    }

    /// <summary>The pid of an instance's server, 0 if it does not run (tests and diagnostics).</summary>
    internal int ServerPid(InstanceRecord instance) => Server(instance).RunningPid;

    private RedisServer Server(InstanceRecord instance) => new(instance.Details["directory"], _serverProgram, _logger);

    private static Task<RespClient> AdminAsync(InstanceRecord instance, CancellationToken ct) =>
        RespClient.ConnectAsync(Port(instance), "default", instance.Secrets["admin_password"], ct);

    private static RedisSettings Settings(InstanceRecord instance, PlanDefinition plan, JsonObject? parameters)
    {
        var policy = parameters?["maxmemory_policy"]?.GetValue<string>() ?? DefaultPolicy;
        return new RedisSettings(Port(instance), plan.Metadata["maxmemory"]!.GetValue<string>(), policy);
    }

    private static int Port(InstanceRecord instance) => int.Parse(instance.Details["port"], CultureInfo.InvariantCulture);

    private static string UserName(BindingRecord binding) => "rvb-" + Generate.Hash(binding.InstanceId + "/" + binding.Id);
}
