using System.Diagnostics;
using System.Text;

namespace Ravioli.Brokers.Processes;

/// <summary>The outcome of one finished command.</summary>
internal sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>A command that exited non-zero; the message carries its stderr (our commands never carry secrets in argv or output).</summary>
internal sealed class ProcessFailedException(string message) : Exception(message);

/// <summary>Runs short-lived tools (initdb, pg_ctl, mariadb, chown) and starts long-lived servers detached from this process.</summary>
internal static class ProcessRunner
{
    /// <summary>True when this process may switch users and chown (root); tools then run as the service's own account.</summary>
    public static bool IsRoot { get; } = string.Equals(Environment.UserName, "root", StringComparison.Ordinal);

    /// <summary>Runs a command to completion. With <paramref name="runAs"/> (and root) it runs under that account via setpriv.</summary>
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        CancellationToken ct,
        string? runAs = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? standardInput = null,
        TimeSpan? timeout = null,
        bool check = true,
        bool killOnCancel = true)
    {
        var psi = CreateStartInfo(fileName, arguments, runAs, environment);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = true;
        using var process = new Process { StartInfo = psi };
        if (!process.Start())
        {
            throw new ProcessFailedException($"could not start {fileName}");
        }

        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout ?? TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(timeoutCts.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeoutCts.Token);
        try
        {
            if (standardInput is not null)
            {
                await process.StandardInput.WriteAsync(standardInput.AsMemory(), timeoutCts.Token);
            }
            process.StandardInput.Close();
            await process.WaitForExitAsync(timeoutCts.Token);
            var result = new ProcessResult(process.ExitCode, await stdout, await stderr);
            if (check && result.ExitCode != 0)
            {
                throw new ProcessFailedException(
                    $"{Path.GetFileName(fileName)} exited with {result.ExitCode}: {Trim(result.StandardError.Length > 0 ? result.StandardError : result.StandardOutput)}");
            }
            return result;
        }
        catch (OperationCanceledException)
        {
            // A server starter (pg_ctl start) is left alone: killing its tree would kill the server it is starting.
            if (killOnCancel)
            {
                TryKill(process);
            }
            if (ct.IsCancellationRequested)
            {
                throw;
            }
            throw new ProcessFailedException($"{Path.GetFileName(fileName)} did not finish within {(timeout ?? TimeSpan.FromMinutes(2)).TotalSeconds:0} s");
        }
    }

    /// <summary>
    /// Starts a server in its own session (setsid), stdio to <paramref name="logFile"/>, so it survives this process and
    /// never holds our pipes open. Arguments travel as positional parameters of sh, so nothing needs shell quoting.
    /// </summary>
    public static Task StartDetachedAsync(
        string fileName,
        IEnumerable<string> arguments,
        string logFile,
        CancellationToken ct,
        string? runAs = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var args = new List<string> { "-c", "exec setsid -f \"$@\" >>\"$RAVIOLI_DETACHED_LOG\" 2>&1 </dev/null", "sh" };
        args.AddRange(Command(fileName, arguments, runAs));
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["RAVIOLI_DETACHED_LOG"] = logFile,
        };
        return RunAsync("/bin/sh", args, ct, runAs: null, environment: env, timeout: TimeSpan.FromSeconds(30));
    }

    /// <summary>The argv that runs a command as another account: setpriv keeps no PAM session and does not fork.</summary>
    public static IReadOnlyList<string> Command(string fileName, IEnumerable<string> arguments, string? runAs)
    {
        var argv = new List<string>();
        if (runAs is not null && IsRoot)
        {
            argv.AddRange(["setpriv", $"--reuid={runAs}", $"--regid={runAs}", "--init-groups", "--"]);
        }
        argv.Add(fileName);
        argv.AddRange(arguments);
        return argv;
    }

    private static ProcessStartInfo CreateStartInfo(string fileName, IEnumerable<string> arguments, string? runAs, IReadOnlyDictionary<string, string>? environment)
    {
        var argv = Command(fileName, arguments, runAs);
        var psi = new ProcessStartInfo(argv[0]) { UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var arg in argv.Skip(1))
        {
            psi.ArgumentList.Add(arg);
        }
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                psi.Environment[key] = value;
            }
        }
        return psi;
    }

    /// <summary>True when a process with this pid exists (and is not a zombie).</summary>
    public static bool IsAlive(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close < 0 || close + 2 >= stat.Length || stat[close + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>Reads the first line of a pid file; 0 when absent or unreadable.</summary>
    public static int ReadPidFile(string path)
    {
        try
        {
            var first = File.ReadLines(path).FirstOrDefault();
            return int.TryParse(first?.Trim(), out var pid) ? pid : 0;
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>Sends a signal (by name, e.g. TERM or KILL) through kill(1); false when the process was already gone.</summary>
    public static async Task<bool> SignalAsync(int pid, string signal, CancellationToken ct)
    {
        if (!IsAlive(pid))
        {
            return false;
        }
        var result = await RunAsync("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], ct, check: false);
        return result.ExitCode == 0;
    }

    /// <summary>TERM, wait up to <paramref name="grace"/>, then KILL; returns once the process is gone.</summary>
    public static async Task TerminateAsync(int pid, TimeSpan grace, CancellationToken ct)
    {
        if (!await SignalAsync(pid, "TERM", ct))
        {
            return;
        }
        if (await WaitForExitAsync(pid, grace, ct))
        {
            return;
        }
        await SignalAsync(pid, "KILL", ct);
        await WaitForExitAsync(pid, TimeSpan.FromSeconds(5), ct);
    }

    public static async Task<bool> WaitForExitAsync(int pid, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (IsAlive(pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(50, ct);
        }
        return true;
    }

    private static void TryKill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }

    private static string Trim(string text)
    {
        text = text.Trim();
        var sb = new StringBuilder(text.Length > 1500 ? text[..1500] + "…" : text);
        return sb.ToString();
    }
}
