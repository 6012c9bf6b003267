using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Ravioli.Brokers.Engine;
using Ravioli.Brokers.Hosting;
using Ravioli.Brokers.Processes;
using Ravioli.Brokers.State;

namespace Ravioli.Brokers.RabbitMq;

/// <summary>RabbitMQ: plan <c>shared</c> is a vhost on the platform node; a binding is a user with full rights on it.</summary>
internal sealed class RabbitMqBackend : IBrokerBackend, IDisposable
{
    public const string ServiceId = "1b701208-bec9-49c8-aa1e-70cbd787c334";
    public const string SharedPlanId = "1547c948-7ecd-45b5-8fb3-74ee2ee24c01";

    private readonly BrokerOptions _options;
    private readonly ILogger _logger;
    private RabbitMqManagementClient? _management;
    private RabbitMqNode? _node;
    private RabbitMqPorts? _ports;

    public RabbitMqBackend(BrokerOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        Service = new ServiceDefinition(ServiceId, "rabbitmq", "RabbitMQ message broker (AMQP 0-9-1)", ["rabbitmq", "amqp", "messaging"],
        [
            new(SharedPlanId, "shared", "A virtual host on the platform's shared RabbitMQ node")
            {
                Metadata = new JsonObject
                {
                    ["displayName"] = "Shared",
                    ["bullets"] = new JsonArray("Own virtual host", "One user per binding with full rights on the vhost", "Management API access"),
                },
            },
        ])
        {
            Metadata = new JsonObject { ["displayName"] = "RabbitMQ", ["providerDisplayName"] = "Ravioli" },
        };
    }

    public string Name => BrokerNames.RabbitMq;

    public ServiceDefinition Service { get; }

    private RabbitMqManagementClient Management => _management ?? throw new InvalidOperationException("the RabbitMQ node has not been started");

    public async Task StartAsync(CancellationToken ct)
    {
        var dir = new ServiceDirectory(_options.DataDirectory, "rabbitmq");
        var amqp = dir.Port("amqp");
        var management = dir.Port("management", [amqp]);
        var distribution = dir.Port("distribution", [amqp, management]);
        var epmd = dir.Port("epmd", [amqp, management, distribution]);
        _ports = new RabbitMqPorts(amqp, management, distribution, epmd);
        var password = dir.Password("admin");
        _management = new RabbitMqManagementClient(management, RabbitMqNode.AdminUser, password);
        _node = new RabbitMqNode(dir.Sub("node"), _ports, _logger);
        await _node.EnsureRunningAsync(_management, password, ct);
    }

    public async Task ProvisionAsync(InstanceRecord instance, PlanDefinition plan, Func<Task> checkpoint, CancellationToken ct)
    {
        instance.Details["vhost"] = "rv-" + Generate.Hash(instance.Id);
        await checkpoint();
        await Management.PutVhostAsync(instance.Details["vhost"], ct);
    }

    public string? RefusePlanChange(PlanDefinition from, PlanDefinition to) => "this service has a single plan";

    public Task UpdateAsync(InstanceRecord instance, PlanDefinition plan, JsonObject? parameters, CancellationToken ct) => Task.CompletedTask;

    public async Task DeprovisionAsync(InstanceRecord instance, IReadOnlyList<BindingRecord> bindings, CancellationToken ct)
    {
        if (!instance.Details.TryGetValue("vhost", out var vhost))
        {
            return;
        }
        // Deleting the vhost closes its connections and drops its queues and permissions.
        await Management.DeleteVhostAsync(vhost, ct);
        foreach (var binding in bindings)
        {
            await Management.DeleteUserAsync(UserName(binding), ct);
        }
    }

    public async Task<JsonObject> BindAsync(InstanceRecord instance, BindingRecord binding, CancellationToken ct)
    {
        var user = UserName(binding);
        var password = binding.Secrets["password"];
        var vhost = instance.Details["vhost"];
        await Management.PutUserAsync(user, password, ct);
        await Management.PutPermissionsAsync(vhost, user, ct);
        var ports = _ports!;
        var amqp = ports.Amqp.ToString(CultureInfo.InvariantCulture);
        var http = ports.Management.ToString(CultureInfo.InvariantCulture);
        var amqpUri = $"amqp://{user}:{password}@127.0.0.1:{amqp}/{Uri.EscapeDataString(vhost)}";
        return new JsonObject
        {
            ["uri"] = amqpUri,
            ["uris"] = new JsonArray(amqpUri),
            ["hostname"] = "127.0.0.1",
            ["hostnames"] = new JsonArray("127.0.0.1"),
            ["port"] = ports.Amqp,
            ["name"] = vhost,
            ["vhost"] = vhost,
            ["username"] = user,
            ["password"] = password,
            ["http_api_uri"] = $"http://{user}:{password}@127.0.0.1:{http}/api/",
            ["dashboard_url"] = $"http://127.0.0.1:{http}/#/login/{user}/{password}",
            ["protocols"] = new JsonObject
            {
                ["amqp"] = new JsonObject
                {
                    ["uri"] = amqpUri,
                    ["host"] = "127.0.0.1",
                    ["port"] = ports.Amqp,
                    ["vhost"] = vhost,
                    ["username"] = user,
                    ["password"] = password,
                },
            },
        };
    }

    public async Task UnbindAsync(InstanceRecord instance, BindingRecord binding, CancellationToken ct)
    {
        var user = UserName(binding);
        await Management.DeleteUserAsync(user, ct);
        await Management.CloseConnectionsAsync(user, ct);
    }

    public Task RecoverAsync(InstanceRecord instance, CancellationToken ct) => Task.CompletedTask;

    public async Task StopServersAsync(IReadOnlyList<InstanceRecord> instances, CancellationToken ct)
    {
        var node = _node;
        if (node is null)
        {
            if (!Directory.Exists(Path.Combine(_options.DataDirectory, "services", "rabbitmq", "node")))
            {
                return;
            }
            var dir = new ServiceDirectory(_options.DataDirectory, "rabbitmq");
            var ports = new RabbitMqPorts(dir.Port("amqp"), dir.Port("management"), dir.Port("distribution"), dir.Port("epmd"));
            node = new RabbitMqNode(dir.Sub("node"), ports, _logger);
        }
        await node.StopAsync(ct);
    }

    /// <summary>Admin access for tests and diagnostics.</summary>
    internal RabbitMqManagementClient AdminClient => Management;

    internal RabbitMqPorts? Ports => _ports;

    private static string UserName(BindingRecord binding) => "rvb-" + Generate.Hash(binding.InstanceId + "/" + binding.Id);

    public void Dispose() => _management?.Dispose();
}
