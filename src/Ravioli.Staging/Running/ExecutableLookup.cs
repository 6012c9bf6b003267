namespace Ravioli.Staging.Running;

/// <summary>Finds a command the way a shell would, using the command's own PATH rather than this process's.</summary>
internal static class ExecutableLookup
{
    public readonly record struct Result(string? Path, int? ExitCode, string? Message);

    public static Result Resolve(string fileName, string? searchPath, string workingDirectory)
    {
        if (fileName.Contains('/', StringComparison.Ordinal))
        {
            var full = System.IO.Path.GetFullPath(fileName, workingDirectory);
            if (!File.Exists(full))
            {
                return new(null, 127, $"{fileName}: No such file or directory");
            }
            return IsExecutable(full) ? new(full, null, null) : new(null, 126, $"{fileName}: Permission denied (not executable)");
        }

        foreach (var directory in (searchPath ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(directory, fileName);
            if (File.Exists(candidate) && IsExecutable(candidate))
            {
                return new(candidate, null, null);
            }
        }
        return new(null, 127, $"{fileName}: command not found (PATH={searchPath})");
    }

    private static bool IsExecutable(string path) =>
        OperatingSystem.IsWindows()
        || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
