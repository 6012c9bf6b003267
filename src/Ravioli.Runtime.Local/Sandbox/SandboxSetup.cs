using System.Diagnostics;
using System.Text;
using Ravioli.Runtime.Local.Processes;

namespace Ravioli.Runtime.Local.Sandbox;

/// <summary>How this host runs an instance: which sandbox, which binaries, which user. Detected once at start.</summary>
/// <param name="SetprivPath">Set when the executor is root: the wrapper drops to the sandbox uid before the app (or bwrap) starts.</param>
/// <param name="DisableUserns">bwrap ≥ 0.8 can forbid nested user namespaces, shrinking the kernel surface the app can reach.</param>
internal sealed record SandboxSetup(
    string Mode,
    string? BwrapPath,
    string? SetprivPath,
    string SetsidPath,
    bool DisableUserns,
    int Uid,
    int Gid)
{
    /// <summary>The app (uid <see cref="Uid"/> on the host) must own its copy of the droplet to write to it.</summary>
    public bool ChownAppDirectory => SetprivPath is not null;

    /// <summary>Finds bwrap, setpriv and setsid, then proves the sandbox works by running a probe through it exactly as an instance would run.</summary>
    public static async Task<(SandboxSetup Setup, string? Problem)> DetectAsync(LocalExecutorOptions options, string probeRoot, CancellationToken cancellationToken)
    {
        var setsid = FindExecutable("setsid") ?? throw new InvalidOperationException("setsid (util-linux) is required to start instances in their own session, but was not found.");
        var setpriv = Native.IsRoot ? FindExecutable("setpriv") : null;
        var problems = new List<string>();
        if (Native.IsRoot && setpriv is null)
        {
            problems.Add("setpriv (util-linux) not found, so apps cannot be moved off the executor's uid");
        }

        if (File.Exists(options.BwrapPath))
        {
            var disableUserns = await BwrapSupportsAsync(options.BwrapPath, "--disable-userns", cancellationToken);
            var candidates = setpriv is null
                ? new[] { new SandboxSetup(SandboxModes.BwrapOwnUser, options.BwrapPath, null, setsid, disableUserns, options.SandboxUid, options.SandboxGid) }
                :
                [
                    new SandboxSetup(SandboxModes.Bwrap, options.BwrapPath, setpriv, setsid, disableUserns, options.SandboxUid, options.SandboxGid),
                    new SandboxSetup(SandboxModes.BwrapOwnUser, options.BwrapPath, null, setsid, disableUserns, options.SandboxUid, options.SandboxGid),
                ];
            foreach (var candidate in candidates)
            {
                var failure = await ProbeAsync(candidate, probeRoot, cancellationToken);
                if (failure is null)
                {
                    return (candidate, candidate.Mode == SandboxModes.Bwrap ? null
                        : string.Join("; ", problems.Append($"bwrap works only without dropping to uid {options.SandboxUid} first, so the app's uid on the host is the executor's (capabilities are still dropped)")));
                }

                problems.Add($"{candidate.Mode} probe failed: {failure}");
            }
        }
        else
        {
            problems.Add($"bubblewrap not found at {options.BwrapPath} (apt-get install bubblewrap)");
        }

        return (new SandboxSetup(SandboxModes.None, null, setpriv, setsid, false, options.SandboxUid, options.SandboxGid), string.Join("; ", problems));
    }

    internal static string? FindExecutable(string name) =>
        new[] { "/usr/bin", "/bin", "/usr/sbin", "/sbin" }.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static async Task<bool> BwrapSupportsAsync(string bwrap, string flag, CancellationToken cancellationToken)
    {
        var (_, output) = await RunAsync(bwrap, ["--help"], cancellationToken);
        return output.Contains(flag, StringComparison.Ordinal);
    }

    private static async Task<string?> ProbeAsync(SandboxSetup setup, string probeRoot, CancellationToken cancellationToken)
    {
        // The probe lives where instance directories live, so a path the sandbox uid cannot traverse shows up here, not at the first push.
        var dir = Path.Combine(probeRoot, $".probe-{Guid.NewGuid():N}");
        var app = Path.Combine(dir, "app");
        Directory.CreateDirectory(app);
        // Like an instance directory: traversable by the sandbox uid even when the process umask is 077.
        File.SetUnixFileMode(dir, Ravioli.Core.Security.DataDirectory.Traversable);
        try
        {
            if (setup.ChownAppDirectory)
            {
                Native.LChown(app, setup.Uid, setup.Gid);
            }

            var args = new List<string>();
            if (setup.SetprivPath is { } setpriv)
            {
                args.Add(setpriv);
                args.AddRange(LaunchFiles.SetprivArguments(setup));
            }

            args.Add(setup.BwrapPath!);
            args.AddRange(LaunchFiles.BwrapArguments(setup, "probe", app, 1024 * 1024, 1024 * 1024, new Dictionary<string, string>()));
            args.AddRange(["/bin/sh", "-c", "test -w /app && test -w /tmp && test -w /dev/shm && test \"$(id -u)\" = " + setup.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            var (exitCode, output) = await RunAsync(args[0], args.Skip(1), cancellationToken);
            return exitCode == 0 ? null : $"exit code {exitCode}: {output.Trim()}";
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // A probe directory left behind is harmless; the next start makes a new one.
            }
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            var text = new StringBuilder().Append(await stdout).Append(await stderr).ToString();
            return (process.ExitCode, text);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out after 20 s");
        }
    }
}
