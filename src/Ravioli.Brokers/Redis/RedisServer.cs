using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Ravioli.Brokers.Processes;

namespace Ravioli.Brokers.Redis;

/// <summary>The desired configuration of one dedicated redis-server.</summary>
internal sealed record RedisSettings(int Port, string MaxMemory, string MaxMemoryPolicy);

/// <summary>
/// One dedicated redis-server: its directory holds redis.conf, users.acl (the default user with the admin password,
/// plus one ACL user per binding), the pid file, the log and the RDB snapshot. It runs as the redis account in its own
/// session and is re-adopted through its pid file.
/// </summary>
internal sealed class RedisServer(string directory, string serverProgram, ILogger logger)
{
    public const string Account = "redis";

    public string Directory { get; } = directory;

    private string ConfigFile => Path.Combine(Directory, "redis.conf");

    private string AclFile => Path.Combine(Directory, "users.acl");

    private string PidFile => Path.Combine(Directory, "redis.pid");

    public int RunningPid
    {
        get
        {
            var pid = ProcessRunner.ReadPidFile(PidFile);
            return ProcessRunner.IsAlive(pid) ? pid : 0;
        }
    }

    /// <summary>Writes the configuration and starts the server, or adopts it if it already runs and answers.</summary>
    public async Task EnsureRunningAsync(RedisSettings settings, string adminPassword, CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(Directory);
        File.SetUnixFileMode(Directory, Files.PrivateDirectory);
        await WriteConfigAsync(settings, ct);
        if (!File.Exists(AclFile))
        {
            // The file holds only a SHA-256 of the password, the form ACL SAVE writes too.
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(adminPassword)));
            Files.WriteAtomic(AclFile, $"user default on #{hash} ~* &* +@all\n");
        }
        await Files.ChownAsync(Directory, Account, ct);
        if (RunningPid != 0 && await AnswersAsync(settings.Port, adminPassword, ct))
        {
            Log.Server(logger, "redis", "adopted", $"pid {RunningPid}, port {settings.Port}, {Directory}");
            return;
        }
        await ProcessRunner.StartDetachedAsync(serverProgram, [ConfigFile], Path.Combine(Directory, "stdout.log"), ct, runAs: Account);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await AnswersAsync(settings.Port, adminPassword, ct))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"redis-server on port {settings.Port} did not answer within 30 s; see {Path.Combine(Directory, "redis.log")}");
            }
            await Task.Delay(100, ct);
        }
        Log.Server(logger, "redis", "started", $"pid {RunningPid}, port {settings.Port}, {Directory}");
    }

    public async Task WriteConfigAsync(RedisSettings settings, CancellationToken ct)
    {
        var lines = new[]
        {
            "# Written by the Ravioli redis broker; changes are overwritten.",
            "bind 127.0.0.1",
            "protected-mode yes",
            $"port {settings.Port.ToString(CultureInfo.InvariantCulture)}",
            "daemonize no",
            $"pidfile {PidFile}",
            $"dir {Directory}",
            $"logfile {Path.Combine(Directory, "redis.log")}",
            $"aclfile {AclFile}",
            $"maxmemory {settings.MaxMemory}",
            $"maxmemory-policy {settings.MaxMemoryPolicy}",
            "save 3600 1 300 100 60 10000",
            "dbfilename dump.rdb",
            "",
        };
        Files.WriteAtomic(ConfigFile, string.Join('\n', lines));
        // WriteAtomic leaves the file root's 0600; redis must read it on a restart.
        await Files.ChownAsync(ConfigFile, Account, ct, recursive: false);
    }

    public static async Task<bool> AnswersAsync(int port, string adminPassword, CancellationToken ct)
    {
        try
        {
            await using var client = await RespClient.ConnectAsync(port, "default", adminPassword, ct);
            var pong = await client.CommandAsync(ct, "PING");
            return string.Equals(pong.Text, "PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Stops the server, saving its data (SHUTDOWN SAVE) unless <paramref name="discard"/>.</summary>
    public async Task StopAsync(int port, string adminPassword, bool discard, CancellationToken ct)
    {
        var pid = RunningPid;
        if (pid == 0)
        {
            return;
        }
        try
        {
            await using var client = await RespClient.ConnectAsync(port, "default", adminPassword, ct);
            await client.CommandAsync(ct, "SHUTDOWN", discard ? "NOSAVE" : "SAVE");
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            // SHUTDOWN closes the connection instead of answering; other failures fall through to signals below.
        }
        if (!await ProcessRunner.WaitForExitAsync(pid, TimeSpan.FromSeconds(15), ct))
        {
            await ProcessRunner.TerminateAsync(pid, TimeSpan.FromSeconds(5), ct);
        }
        Log.Server(logger, "redis", "stopped", Directory);
    }
}
