using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using Ravioli.Brokers.Processes;

namespace Ravioli.Brokers.PostgreSql;

/// <summary>Settings a cluster is created with.</summary>
internal sealed record PostgresTuning(int MaxConnections, string SharedBuffers);

/// <summary>
/// One PostgreSQL cluster the platform runs (the shared one, or a dedicated instance's): initdb on first use, pg_ctl to
/// start it in its own session as the postgres account (so it outlives us), re-adoption through postmaster.pid.
/// Loopback TCP only, no unix socket (paths under a deep data dir can exceed the socket path limit), scram passwords.
/// </summary>
internal sealed class PostgresCluster(string directory, string binDirectory, ILogger logger)
{
    public const string Account = "postgres";

    public string Directory { get; } = directory;

    private string DataDirectory => Path.Combine(Directory, "data");

    private string LogFile => Path.Combine(Directory, "postgresql.log");

    /// <summary>Written (root's, beside the data directory) once initdb and our settings are complete.</summary>
    private string InitializedMarker => Path.Combine(Directory, "initialized");

    public int RunningPid
    {
        get
        {
            var pid = ProcessRunner.ReadPidFile(Path.Combine(DataDirectory, "postmaster.pid"));
            return ProcessRunner.IsAlive(pid) ? pid : 0;
        }
    }

    /// <summary>Initializes (first time) and starts the cluster, or adopts it when it already runs and answers.</summary>
    public async Task EnsureRunningAsync(int port, string superuserPassword, PostgresTuning tuning, CancellationToken ct)
    {
        if (!File.Exists(InitializedMarker))
        {
            // Never initialized, or initdb was interrupted: whatever is there (even a single-user postgres initdb left
            // running) is not a cluster yet; start over.
            if (RunningPid is var stale and not 0)
            {
                await ProcessRunner.TerminateAsync(stale, TimeSpan.FromSeconds(5), ct);
            }
            await InitializeAsync(port, superuserPassword, tuning, ct);
        }
        else if (RunningPid != 0)
        {
            if (await AnswersAsync(port, superuserPassword, ct))
            {
                Log.Server(logger, "postgresql", "adopted", $"pid {RunningPid}, port {port}, {Directory}");
                return;
            }
            // A postmaster runs but does not answer yet (still starting or recovering); pg_ctl start would refuse.
            await WaitAnswersAsync(port, superuserPassword, TimeSpan.FromSeconds(60), ct);
            Log.Server(logger, "postgresql", "adopted", $"pid {RunningPid}, port {port}, {Directory}");
            return;
        }
        var start = ProcessRunner.Command(Path.Combine(binDirectory, "pg_ctl"), ["-D", DataDirectory, "-l", LogFile, "-w", "-t", "90", "start"], Account);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ProcessRunner.RunAsync("setsid", ["-w", .. start], ct, timeout: TimeSpan.FromSeconds(120), killOnCancel: false);
                break;
            }
            catch (ProcessFailedException) when (attempt < 3)
            {
                // After a crash the old postmaster's backends may still hold its shared memory for a moment.
                await Task.Delay(TimeSpan.FromSeconds(2), ct);
                if (RunningPid != 0)
                {
                    break;
                }
            }
        }
        await WaitAnswersAsync(port, superuserPassword, TimeSpan.FromSeconds(30), ct);
        Log.Server(logger, "postgresql", "started", $"pid {RunningPid}, port {port}, {Directory}");
    }

    private async Task InitializeAsync(int port, string superuserPassword, PostgresTuning tuning, CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(Directory);
        File.SetUnixFileMode(Directory, Files.PrivateDirectory);
        await Files.DeleteTreeAsync(DataDirectory, ct);
        var passwordFile = Path.Combine(Directory, ".pwfile");
        Files.WriteAtomic(passwordFile, superuserPassword + "\n");
        await Files.ChownAsync(Directory, Account, ct);
        try
        {
            await ProcessRunner.RunAsync(Path.Combine(binDirectory, "initdb"),
                ["-D", DataDirectory, "-U", "postgres", $"--pwfile={passwordFile}", "-A", "scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
                ct, runAs: Account, timeout: TimeSpan.FromMinutes(3));
        }
        finally
        {
            File.Delete(passwordFile);
        }
        var settings = string.Join('\n',
            "",
            "# Ravioli: loopback TCP only, no unix socket, sized for one machine.",
            "listen_addresses = '127.0.0.1'",
            $"port = {port.ToString(CultureInfo.InvariantCulture)}",
            "unix_socket_directories = ''",
            $"max_connections = {tuning.MaxConnections.ToString(CultureInfo.InvariantCulture)}",
            $"shared_buffers = {tuning.SharedBuffers}",
            "");
        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), settings, ct);
        Files.WriteAtomic(InitializedMarker, DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) + "\n");
        Log.Server(logger, "postgresql", "initialized", Directory);
    }

    public async Task StopAsync(CancellationToken ct)
    {
        var pid = RunningPid;
        if (pid == 0)
        {
            return;
        }
        var result = await ProcessRunner.RunAsync(Path.Combine(binDirectory, "pg_ctl"), ["-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop"],
            ct, runAs: Account, check: false, timeout: TimeSpan.FromSeconds(90));
        if (result.ExitCode != 0 || ProcessRunner.IsAlive(pid))
        {
            await ProcessRunner.TerminateAsync(pid, TimeSpan.FromSeconds(10), ct);
        }
        Log.Server(logger, "postgresql", "stopped", Directory);
    }

    /// <summary>Stops the cluster and deletes its directory.</summary>
    public async Task DestroyAsync(CancellationToken ct)
    {
        var pid = RunningPid;
        if (pid != 0)
        {
            // Immediate: the data is about to be deleted, there is nothing to flush.
            await ProcessRunner.RunAsync(Path.Combine(binDirectory, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"],
                ct, runAs: Account, check: false, timeout: TimeSpan.FromSeconds(60));
            if (ProcessRunner.IsAlive(pid))
            {
                await ProcessRunner.TerminateAsync(pid, TimeSpan.FromSeconds(5), ct);
            }
        }
        await Files.DeleteTreeAsync(Directory, ct);
    }

    public static async Task<bool> AnswersAsync(int port, string superuserPassword, CancellationToken ct)
    {
        try
        {
            await using var conn = new NpgsqlConnection(AdminConnectionString(port, superuserPassword));
            await conn.OpenAsync(ct);
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static async Task WaitAnswersAsync(int port, string superuserPassword, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await AnswersAsync(port, superuserPassword, ct))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"PostgreSQL on port {port} did not accept connections within {timeout.TotalSeconds:0} s");
            }
            await Task.Delay(200, ct);
        }
    }

    public static string AdminConnectionString(int port, string superuserPassword) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = port,
        Username = "postgres",
        Password = superuserPassword,
        Database = "postgres",
        Pooling = false,
        Timeout = 5,
    }.ConnectionString;
}
