using System.ComponentModel;
using System.Diagnostics;

namespace Ravioli.Staging.Running;

/// <summary>Runs staging commands as plain child processes of this one: the default, unsandboxed runner.</summary>
public sealed class ProcessStagingRunner : IStagingRunner
{
    // How long to keep reading output after the command has exited and its process group was ended.
    // Only a process that left the group (setsid, daemonize) can still hold the pipes open by then.
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(5);

    private const string Shell = "/bin/sh";

    private static readonly string? s_setsid = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : File.Exists("/bin/setsid") ? "/bin/setsid" : null;

    public async Task<int> RunAsync(StagingCommand command, Action<string> onOutputLine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(onOutputLine);
        cancellationToken.ThrowIfCancellationRequested();

        var emitLock = new Lock();
        void Emit(string line)
        {
            lock (emitLock)
            {
                onOutputLine(line);
            }
        }

        command.Environment.TryGetValue("PATH", out var searchPath);
        var executable = ExecutableLookup.Resolve(command.FileName, searchPath, command.WorkingDirectory);
        if (executable.ExitCode is { } failure)
        {
            Emit(executable.Message!);
            return failure;
        }

        var startInfo = new ProcessStartInfo
        {
            WorkingDirectory = command.WorkingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // A new session makes the command the leader of its own process group, so one signal to the
        // group also reaches what it started (npm → sh → node, a buildpack script's background jobs).
        // The shell then merges stderr into stdout and execs the command (same pid): one pipe keeps the
        // lines in the order they were written, as a terminal would show them.
        startInfo.FileName = s_setsid ?? Shell;
        if (s_setsid is not null)
        {
            startInfo.ArgumentList.Add(Shell);
        }
        // The shell would also export PWD; unset, the command's environment stays exactly the one given.
        var script = command.Environment.ContainsKey("PWD") ? "exec \"$@\" 2>&1" : "unset PWD; exec \"$@\" 2>&1";
        foreach (var argument in new[] { "-c", script, "sh", executable.Path! }.Concat(command.Arguments))
        {
            startInfo.ArgumentList.Add(argument);
        }
        startInfo.Environment.Clear();
        foreach (var (name, value) in command.Environment)
        {
            startInfo.Environment[name] = value;
        }

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            Emit($"{command.FileName}: {e.Message}");
            return 126;
        }

        // Nothing reads a terminal during staging; an immediate EOF keeps prompts from waiting forever.
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The command already exited.
        }
        var pumps = Task.WhenAll(PumpAsync(process.StandardOutput, Emit), PumpAsync(process.StandardError, Emit));

        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            ProcessTree.Kill(process, ownGroup: s_setsid is not null);
            await process.WaitForExitAsync(CancellationToken.None);
            await DrainAsync(pumps);
            throw;
        }

        // Build tools like to leave servers behind (MSBuild nodes, compiler servers, daemons); they would
        // hold the output pipes open and outlive the staging, so whatever is left of the group ends here.
        if (s_setsid is not null)
        {
            ProcessTree.KillGroup(process.Id);
        }
        await DrainAsync(pumps);
        return process.ExitCode;
    }

    private static async Task PumpAsync(StreamReader reader, Action<string> emit)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            emit(line);
        }
    }

    private static async Task DrainAsync(Task pumps)
    {
        try
        {
            await pumps.WaitAsync(s_drainTimeout);
        }
        catch (TimeoutException)
        {
            // An escaped process still holds the pipe; its remaining output is not worth waiting for.
        }
        catch (IOException)
        {
        }
    }
}
