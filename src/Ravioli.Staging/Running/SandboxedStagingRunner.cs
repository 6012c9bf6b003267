using System.Globalization;
using Microsoft.Extensions.Logging;
using Ravioli.Core.Sandboxing;

namespace Ravioli.Staging.Running;

/// <summary>
/// Runs staging commands in the same kind of sandbox as app instances: bwrap with every namespace private
/// except the network (buildpacks download dependencies), the host's /usr and /etc read-only, a private
/// /tmp, no capabilities, an unprivileged uid — and of the host's files only the paths the command names
/// (the app, cache and scratch directories of this staging; an operator buildpack read-only). The platform's
/// data directory, keys and other apps stay invisible.
/// </summary>
public sealed partial class SandboxedStagingRunner : IStagingRunner
{
    public const int SandboxUid = 65534;

    private readonly IStagingRunner _inner;
    private readonly string? _bwrap = Find("bwrap");
    private readonly string? _setpriv = Environment.UserName == "root" ? Find("setpriv") : null;
    private readonly ILogger _logger;
    private int _warned;

    public SandboxedStagingRunner(IStagingRunner inner, ILogger<SandboxedStagingRunner> logger)
    {
        _inner = inner;
        _logger = logger;
    }

    /// <summary>False where bwrap is missing: staging then runs unsandboxed, with a warning in the log and in the staging output.</summary>
    public bool Sandboxed => _bwrap is not null;

    public Task<int> RunAsync(StagingCommand command, Action<string> onOutputLine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(onOutputLine);
        if (_bwrap is null)
        {
            if (Interlocked.Exchange(ref _warned, 1) == 0)
            {
                LogUnsandboxed(_logger);
            }
            onOutputLine("WARNING: bubblewrap (bwrap) is not installed; this staging runs WITHOUT a sandbox. Install it: apt-get install bubblewrap");
            return _inner.RunAsync(command, onOutputLine, cancellationToken);
        }
        foreach (var path in command.WritablePaths)
        {
            HandOver(path);
            MakeReachable(path);
        }
        foreach (var path in command.ReadOnlyPaths)
        {
            MakeReadable(path);
            MakeReachable(path);
        }
        var args = new List<string>();
        string fileName;
        if (_setpriv is not null)
        {
            // As root, drop to the sandbox uid on the host before bwrap, as instances do: inside and outside agree on who it is.
            fileName = _setpriv;
            args.AddRange([
                string.Create(CultureInfo.InvariantCulture, $"--reuid={SandboxUid}"),
                string.Create(CultureInfo.InvariantCulture, $"--regid={SandboxUid}"),
                "--clear-groups", "--inh-caps=-all", "--no-new-privs", _bwrap]);
        }
        else
        {
            fileName = _bwrap;
        }
        args.AddRange(["--unshare-all", "--share-net", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]);
        args.AddRange(SystemMounts.BwrapArguments());
        args.AddRange(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]);
        foreach (var path in command.ReadOnlyPaths.Where(Exists))
        {
            args.AddRange(["--ro-bind", path, path]);
        }
        foreach (var path in command.WritablePaths.Where(Exists))
        {
            args.AddRange(["--bind", path, path]);
        }
        args.AddRange(["--chdir", command.WorkingDirectory, "--", command.FileName]);
        args.AddRange(command.Arguments);
        // The environment travels as the process environment, not as --setenv arguments: app env vars are
        // secrets and a command line is readable by anyone on the host.
        return _inner.RunAsync(command with { FileName = fileName, Arguments = args }, onOutputLine, cancellationToken);
    }

    /// <summary>Makes a path the stager created (as root) writable for the sandbox uid.</summary>
    private void HandOver(string path)
    {
        if (_setpriv is null || !Directory.Exists(path))
        {
            return;
        }
        foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Prepend(new DirectoryInfo(path)))
        {
            if (entry.UnixFileMode != 0 && !entry.Attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                Native.Chown(entry.FullName, SandboxUid, SandboxUid);
            }
        }
    }

    /// <summary>
    /// Adds the search (x) bit, never read, to the directories above <paramref name="path"/> that lack it: the
    /// platform runs with umask 077, so directories the stager just made are owner-only and the sandbox uid could
    /// not reach the paths bound into its sandbox. Stops at the first directory others can already pass.
    /// </summary>
    private void MakeReachable(string path)
    {
        if (_setpriv is null || OperatingSystem.IsWindows())
        {
            return;
        }
        for (var dir = Path.GetDirectoryName(Path.GetFullPath(path)); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var mode = File.GetUnixFileMode(dir);
            if ((mode & UnixFileMode.OtherExecute) != 0)
            {
                break;
            }
            File.SetUnixFileMode(dir, mode | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
    }

    /// <summary>Read-only inputs (an operator's buildpack) must be readable by the sandbox uid: r for files, r-x for directories.</summary>
    private void MakeReadable(string path)
    {
        if (_setpriv is null || OperatingSystem.IsWindows() || !Directory.Exists(path))
        {
            return;
        }
        foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Prepend(new DirectoryInfo(path)))
        {
            if (entry.Attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                continue;
            }
            var add = entry is DirectoryInfo ? UnixFileMode.OtherRead | UnixFileMode.OtherExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute : UnixFileMode.OtherRead | UnixFileMode.GroupRead;
            if ((entry.UnixFileMode & add) != add)
            {
                entry.UnixFileMode |= add;
            }
        }
    }

    private static bool Exists(string path) => Directory.Exists(path) || File.Exists(path);

    private static string? Find(string name) =>
        new[] { "/usr/bin", "/bin", "/usr/sbin", "/sbin" }.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    [LoggerMessage(Level = LogLevel.Warning, Message = "bubblewrap is not installed: staging runs without a sandbox. Install it with 'apt-get install bubblewrap'.")]
    private static partial void LogUnsandboxed(ILogger logger);

    private static partial class Native
    {
        [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "lchown", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8, SetLastError = true)]
        private static partial int LChown(string path, int owner, int group);

        public static void Chown(string path, int uid, int gid) => LChown(path, uid, gid);
    }
}
