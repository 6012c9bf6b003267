using System.Globalization;
using Microsoft.Extensions.Logging;
using Ravioli.Brokers.Processes;

namespace Ravioli.Brokers.RabbitMq;

/// <summary>The ports a platform RabbitMQ node uses; chosen once and kept.</summary>
internal sealed record RabbitMqPorts(int Amqp, int Management, int Distribution, int Epmd);

/// <summary>
/// The platform's RabbitMQ node: its own node name (ravioli-&lt;hash&gt;@localhost), its own epmd port and distribution
/// port (so it never meets another node on this machine), mnesia and logs under our directory, the management plugin
/// on loopback, and an administrator created from rabbitmq.conf on first boot. It runs as the rabbitmq account in its
/// own session; the epmd it spawns is stopped with it.
/// </summary>
internal sealed class RabbitMqNode(string directory, RabbitMqPorts ports, ILogger logger)
{
    public const string Account = "rabbitmq";
    public const string AdminUser = "ravioli-admin";
    private const string Home = "/usr/lib/rabbitmq/bin";

    private string PidFile => Path.Combine(directory, "rabbitmq.pid");

    public string NodeName { get; } = $"ravioli-{Generate.Hash(directory, 8)}@localhost";

    public int RunningPid
    {
        get
        {
            var pid = ProcessRunner.ReadPidFile(PidFile);
            return ProcessRunner.IsAlive(pid) ? pid : 0;
        }
    }

    public static bool Installed => File.Exists(Path.Combine(Home, "rabbitmq-server"));

    public async Task EnsureRunningAsync(RabbitMqManagementClient management, string adminPassword, CancellationToken ct)
    {
        if (RunningPid != 0 && await management.AnswersAsync(ct))
        {
            Log.Server(logger, "rabbitmq", "adopted", $"pid {RunningPid}, node {NodeName}, amqp {ports.Amqp}, management {ports.Management}");
            return;
        }
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, Files.PrivateDirectory);
        Directory.CreateDirectory(Path.Combine(directory, "home"));
        Directory.CreateDirectory(Path.Combine(directory, "log"));
        Directory.CreateDirectory(Path.Combine(directory, "mnesia"));
        Files.WriteAtomic(Path.Combine(directory, "rabbitmq-env.conf"), "# Ravioli passes the node's settings as environment variables.\n");
        Files.WriteAtomic(Path.Combine(directory, "enabled_plugins"), "[rabbitmq_management].\n");
        Files.WriteAtomic(Path.Combine(directory, "rabbitmq.conf"), string.Join('\n',
            "# Written by the Ravioli rabbitmq broker; changes are overwritten.",
            $"listeners.tcp.default = 127.0.0.1:{ports.Amqp.ToString(CultureInfo.InvariantCulture)}",
            $"management.tcp.port = {ports.Management.ToString(CultureInfo.InvariantCulture)}",
            "management.tcp.ip = 127.0.0.1",
            $"default_user = {AdminUser}",
            $"default_pass = {adminPassword}",
            "default_user_tags.administrator = true",
            "default_permissions.configure = .*",
            "default_permissions.read = .*",
            "default_permissions.write = .*",
            "loopback_users = none",
            $"log.dir = {Path.Combine(directory, "log")}",
            "log.console = false",
            ""));
        await Files.ChownAsync(directory, Account, ct);
        await ProcessRunner.StartDetachedAsync(Path.Combine(Home, "rabbitmq-server"), [], Path.Combine(directory, "log", "startup.log"), ct,
            runAs: Account, environment: Environment());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (!await management.AnswersAsync(ct))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"RabbitMQ node {NodeName} did not answer within 120 s; see {Path.Combine(directory, "log")}");
            }
            await Task.Delay(500, ct);
        }
        Log.Server(logger, "rabbitmq", "started", $"pid {RunningPid}, node {NodeName}, amqp {ports.Amqp}, management {ports.Management}");
    }

    public async Task StopAsync(CancellationToken ct)
    {
        var pid = RunningPid;
        if (pid != 0)
        {
            // The Erlang VM answers SIGTERM with an orderly init:stop().
            await ProcessRunner.TerminateAsync(pid, TimeSpan.FromSeconds(60), ct);
            Log.Server(logger, "rabbitmq", "stopped", NodeName);
        }
        // The VM started an epmd of its own on our private port; it outlives the node unless told to go.
        var epmd = Hosting.Binaries.Find("epmd");
        if (epmd is not null && await Generate.PortAnswersAsync(ports.Epmd, ct))
        {
            await ProcessRunner.RunAsync(epmd, ["-kill"], ct, environment: new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["ERL_EPMD_PORT"] = ports.Epmd.ToString(CultureInfo.InvariantCulture),
            }, check: false, timeout: TimeSpan.FromSeconds(15));
            for (var i = 0; i < 50 && await Generate.PortAnswersAsync(ports.Epmd, ct); i++)
            {
                await Task.Delay(100, ct);
            }
        }
    }

    private Dictionary<string, string> Environment() => new(StringComparer.Ordinal)
    {
        ["HOME"] = Path.Combine(directory, "home"),
        ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(directory, "rabbitmq-env.conf"),
        ["RABBITMQ_CONFIG_FILE"] = Path.Combine(directory, "rabbitmq.conf"),
        ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(directory, "advanced.config"),
        ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(directory, "enabled_plugins"),
        ["RABBITMQ_MNESIA_BASE"] = Path.Combine(directory, "mnesia"),
        ["RABBITMQ_LOG_BASE"] = Path.Combine(directory, "log"),
        ["RABBITMQ_PID_FILE"] = PidFile,
        ["RABBITMQ_NODENAME"] = NodeName,
        ["RABBITMQ_USE_LONGNAME"] = "false",
        ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
        ["RABBITMQ_NODE_PORT"] = ports.Amqp.ToString(CultureInfo.InvariantCulture),
        ["RABBITMQ_DIST_PORT"] = ports.Distribution.ToString(CultureInfo.InvariantCulture),
        ["ERL_EPMD_PORT"] = ports.Epmd.ToString(CultureInfo.InvariantCulture),
        ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
    };
}
