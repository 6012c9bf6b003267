namespace Ravioli.Staging.Files;

/// <summary>Unix file modes, behind the platform check the analyzers ask for (staging itself only runs on Linux).</summary>
internal static class UnixFiles
{
    public const UnixFileMode Executable = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public const UnixFileMode UserAll = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    public static UnixFileMode GetMode(string path) =>
        OperatingSystem.IsWindows() ? 0 : File.GetUnixFileMode(path);

    public static void MakeExecutable(string path) => SetMode(path, GetMode(path) | Executable);

    public static bool IsExecutable(string path) => (GetMode(path) & Executable) != 0;
}
