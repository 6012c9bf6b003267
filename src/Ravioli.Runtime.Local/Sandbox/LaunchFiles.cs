using System.Globalization;
using System.Text;

namespace Ravioli.Runtime.Local.Sandbox;

/// <summary>
/// Writes the two files that launch one run: the wrapper script (no secrets, so it may show in ps) and its input
/// (bwrap arguments with the environment, or the environment itself without a sandbox), readable by root only.
/// Secrets therefore never appear on a command line, where any local user could read them from /proc.
/// </summary>
internal static class LaunchFiles
{
    public const string ScriptName = "launch.sh";
    public const string InputName = "launch.input";
    public const string WrapperPidName = "wrapper.pid";
    public const string ExitCodeName = "exit_code";
    public const string SetupErrorName = "setup_error";
    public const string StdoutName = "stdout.log";
    public const string StderrName = "stderr.log";

    /// <summary>Writes launch.sh and launch.input into <paramref name="instanceDir"/>; returns the script's path.</summary>
    public static string Write(
        SandboxSetup setup,
        string instanceDir,
        string hostname,
        string command,
        IReadOnlyDictionary<string, string> environment,
        long tmpBytes,
        long shmBytes,
        IReadOnlyList<string> cgroupDirs)
    {
        var appDir = Path.Combine(instanceDir, "app");
        var logs = Path.Combine(instanceDir, "logs");
        var input = Path.Combine(instanceDir, InputName);

        // The app command, built from the same pieces the probe proved to work.
        var app = new List<string>();
        if (setup.SetprivPath is { } setpriv)
        {
            app.Add(setpriv);
            app.AddRange(SetprivArguments(setup));
        }

        if (setup.BwrapPath is { } bwrap)
        {
            WriteSecret(input, string.Concat(BwrapArguments(setup, hostname, appDir, tmpBytes, shmBytes, environment).Select(a => a + "\0")));
            app.AddRange([bwrap, "--args", "3", "/bin/sh", "-c", command]);
        }
        else
        {
            // Unsandboxed: the app gets a session of its own (for signals) and exactly the given environment,
            // read from fd 3 after the uid drop so no root process ever runs with app-chosen variables (LD_PRELOAD).
            WriteSecret(input, string.Concat(environment.Select(kv => $"export {kv.Key}={Quote(kv.Value)}\n")));
            app.AddRange([setup.SetsidPath, "/usr/bin/env", "-i", "/bin/sh", "-c", "eval \"$(/bin/cat <&3)\" && exec 3<&- && exec /bin/sh -c \"$1\"", "ravioli-app", command]);
        }

        var script = new StringBuilder();
        script.Append(CultureInfo.InvariantCulture, $"""
            # Ravioli instance wrapper, generated for instance {hostname}.
            # It supervises one run on the host and outlives the executor: it joins the instance's cgroups before any
            # app process exists, runs the app with its output going to files (a pipe to a dead executor would
            # SIGPIPE the app), and records the exit status for whichever executor looks next.
            exec </dev/null >>{Quote(Path.Combine(instanceDir, "wrapper.log"))} 2>&1
            echo $$ >{Quote(Path.Combine(instanceDir, WrapperPidName))}
            # The OOM killer must pick the app, never the wrapper that records how the app ended.
            echo -1000 >/proc/self/oom_score_adj

            """);
        foreach (var dir in cgroupDirs)
        {
            var procs = Path.Combine(dir, "cgroup.procs");
            script.Append(CultureInfo.InvariantCulture, $"echo $$ >{Quote(procs)} || {{ echo {Quote("could not join cgroup " + dir)} >{Quote(Path.Combine(instanceDir, SetupErrorName))}; exit 125; }}\n");
        }

        script.Append(CultureInfo.InvariantCulture, $"cd {Quote(appDir)} || {{ echo 'the app directory is missing' >{Quote(Path.Combine(instanceDir, SetupErrorName))}; exit 125; }}\n");
        script.Append("/bin/sh -c 'echo 0 >/proc/self/oom_score_adj && exec \"$@\"' ravioli-app ");
        script.Append(string.Join(' ', app.Select(Quote)));
        script.Append(CultureInfo.InvariantCulture, $" 3<{Quote(input)} >>{Quote(Path.Combine(logs, StdoutName))} 2>>{Quote(Path.Combine(logs, StderrName))}\n");
        var exitCode = Path.Combine(instanceDir, ExitCodeName);
        // Shell builtins only from here: a child process (an mv) would be one of the run's processes, which a stop
        // keeps SIGKILLing until the wrapper is gone, and the exit status would be lost with it. One short write;
        // nobody reads it before the wrapper has exited, and a cut-off file reads as "no exit status".
        script.Append(CultureInfo.InvariantCulture, $"echo $? >{Quote(exitCode)}\n");

        var path = Path.Combine(instanceDir, ScriptName);
        WriteSecret(path, script.ToString());
        return path;
    }

    public static IEnumerable<string> SetprivArguments(SandboxSetup setup) =>
    [
        string.Create(CultureInfo.InvariantCulture, $"--reuid={setup.Uid}"),
        string.Create(CultureInfo.InvariantCulture, $"--regid={setup.Gid}"),
        "--clear-groups",
        "--inh-caps=-all",
        "--no-new-privs",
    ];

    /// <summary>
    /// The sandbox: every namespace private except the network (apps listen on 127.0.0.1:$PORT), read-only /usr and
    /// /etc, a private /proc, /dev and size-capped /tmp, the run's own copy of the droplet at /app, and nothing else
    /// of the host. No --die-with-parent: instances must outlive the executor. --as-pid-1 makes the app's shell the
    /// namespace's init, which the kernel shields from SIGTERM sent from outside unless it handles it, so a graceful
    /// stop reaches the app and does not tear the namespace down under it.
    /// The root and /dev are bwrap's own tmpfs mounts, uncapped and outside the disk quota: both are made read-only,
    /// so /app, /tmp and /dev/shm (POSIX shared memory, capped at the memory limit it is charged to) are the only
    /// places an app writes.
    /// </summary>
    public static IEnumerable<string> BwrapArguments(SandboxSetup setup, string hostname, string appDir, long tmpBytes, long shmBytes, IReadOnlyDictionary<string, string> environment)
    {
        var args = new List<string>
        {
            "--unshare-all", "--share-net", "--unshare-user",
            "--uid", setup.Uid.ToString(CultureInfo.InvariantCulture),
            "--gid", setup.Gid.ToString(CultureInfo.InvariantCulture),
            "--hostname", hostname,
        };
        if (setup.DisableUserns)
        {
            args.Add("--disable-userns");
        }

        args.AddRange(Ravioli.Core.Sandboxing.SystemMounts.BwrapArguments());
        args.AddRange(
        [
            "--proc", "/proc",
            "--dev", "/dev",
            "--perms", "1777", "--size", Math.Max(shmBytes, 1024 * 1024).ToString(CultureInfo.InvariantCulture), "--tmpfs", "/dev/shm",
            "--perms", "1777", "--size", Math.Max(tmpBytes, 1024 * 1024).ToString(CultureInfo.InvariantCulture), "--tmpfs", "/tmp",
            "--bind", appDir, "/app",
            "--remount-ro", "/dev",
            "--remount-ro", "/",
            "--chdir", "/app",
            "--new-session",
            "--as-pid-1",
            "--cap-drop", "ALL",
            "--clearenv",
        ]);
        foreach (var (key, value) in environment)
        {
            args.AddRange(["--setenv", key, value]);
        }

        return args;
    }

    /// <summary>POSIX single-quoting: safe for any string, including newlines and quotes.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static void WriteSecret(string path, string content)
    {
        File.Delete(path);
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        var bytes = Encoding.UTF8.GetBytes(content);
        stream.Write(bytes);
    }
}
