using System.Globalization;
using Microsoft.Extensions.Logging;
using Ravioli.Brokers.Processes;

namespace Ravioli.Brokers.MariaDb;

/// <summary>
/// The platform's shared MariaDB server: mariadb-install-db on first use, mariadbd started in its own session (as the
/// mysql account) with only our option file, loopback TCP. Its admin account (ravioli_admin@127.0.0.1) is (re)created
/// with the generated password by an init file on every start, so the password file stays the one truth.
/// </summary>
internal sealed class MariaDbServer(string directory, ILogger logger)
{
    public const string Account = "mysql";
    public const string AdminUser = "ravioli_admin";

    private string DataDirectory => Path.Combine(directory, "data");

    private string ConfigFile => Path.Combine(directory, "my.cnf");

    private string PidFile => Path.Combine(directory, "mariadbd.pid");

    public int RunningPid
    {
        get
        {
            var pid = ProcessRunner.ReadPidFile(PidFile);
            return ProcessRunner.IsAlive(pid) ? pid : 0;
        }
    }

    public async Task EnsureRunningAsync(int port, string adminPassword, MariaDbClient client, CancellationToken ct)
    {
        if (RunningPid != 0 && await client.AnswersAsync(ct))
        {
            Log.Server(logger, "mariadb", "adopted", $"pid {RunningPid}, port {port}, {directory}");
            return;
        }
        var server = Hosting.Binaries.Find("mariadbd") ?? throw new InvalidOperationException("mariadbd is not installed (Debian package mariadb-server)");
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, Files.PrivateDirectory);
        var socket = Path.Combine(directory, "mysqld.sock");
        if (socket.Length > 100)
        {
            socket = $"/tmp/ravioli-mariadb-{Processes.Generate.Hash(directory, 12)}.sock";
        }
        Files.WriteAtomic(ConfigFile, string.Join('\n',
            "# Written by the Ravioli mariadb broker; changes are overwritten.",
            "[mariadbd]",
            $"datadir={DataDirectory}",
            $"port={port.ToString(CultureInfo.InvariantCulture)}",
            "bind-address=127.0.0.1",
            $"socket={socket}",
            $"pid-file={PidFile}",
            $"log-error={Path.Combine(directory, "error.log")}",
            $"user={Account}",
            "skip-name-resolve",
            "innodb_buffer_pool_size=64M",
            "max_connections=200",
            "character-set-server=utf8mb4",
            "collation-server=utf8mb4_unicode_ci",
            $"init-file={Path.Combine(directory, "init.sql")}",
            ""));
        Files.WriteAtomic(Path.Combine(directory, "init.sql"), string.Join('\n',
            $"CREATE USER IF NOT EXISTS '{AdminUser}'@'127.0.0.1' IDENTIFIED BY '{adminPassword}';",
            $"ALTER USER '{AdminUser}'@'127.0.0.1' IDENTIFIED BY '{adminPassword}';",
            $"GRANT ALL PRIVILEGES ON *.* TO '{AdminUser}'@'127.0.0.1' WITH GRANT OPTION;",
            ""));
        await Files.ChownAsync(directory, Account, ct);
        if (!File.Exists(Path.Combine(DataDirectory, "mysql", "user.frm")) && !File.Exists(Path.Combine(DataDirectory, "mysql", "global_priv.frm")))
        {
            await Files.DeleteTreeAsync(DataDirectory, ct);
            var install = Hosting.Binaries.Find("mariadb-install-db") ?? throw new InvalidOperationException("mariadb-install-db is not installed (Debian package mariadb-server)");
            await ProcessRunner.RunAsync(install,
                [$"--defaults-file={ConfigFile}", $"--user={Account}", $"--datadir={DataDirectory}", "--skip-test-db", "--auth-root-authentication-method=socket"],
                ct, timeout: TimeSpan.FromMinutes(3));
            Log.Server(logger, "mariadb", "initialized", directory);
        }
        await ProcessRunner.StartDetachedAsync(server, [$"--defaults-file={ConfigFile}"], Path.Combine(directory, "stdout.log"), ct);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!await client.AnswersAsync(ct))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"mariadbd on port {port} did not answer within 90 s; see {Path.Combine(directory, "error.log")}");
            }
            await Task.Delay(250, ct);
        }
        Log.Server(logger, "mariadb", "started", $"pid {RunningPid}, port {port}, {directory}");
    }

    public async Task StopAsync(CancellationToken ct)
    {
        var pid = RunningPid;
        if (pid == 0)
        {
            return;
        }
        await ProcessRunner.TerminateAsync(pid, TimeSpan.FromSeconds(60), ct);
        Log.Server(logger, "mariadb", "stopped", directory);
    }
}
