using System.Text;

namespace Ravioli.Brokers.Processes;

/// <summary>File helpers with the modes the brokers promise: state and secrets 0600, their directories 0700.</summary>
internal static class Files
{
    public const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates (or tightens) a directory to 0700.</summary>
    public static void EnsurePrivateDirectory(string path)
    {
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, PrivateDirectory);
    }

    /// <summary>
    /// Lets other accounts (postgres, mysql, redis, rabbitmq) traverse into a directory without listing it (o+x),
    /// which they need to reach their own data under it.
    /// </summary>
    public static void AllowTraverse(string path)
    {
        Directory.CreateDirectory(path);
        var mode = File.GetUnixFileMode(path);
        const UnixFileMode traverse = UnixFileMode.OtherExecute | UnixFileMode.GroupExecute;
        if ((mode & traverse) != traverse)
        {
            File.SetUnixFileMode(path, mode | traverse);
        }
        if (!ProcessRunner.IsRoot)
        {
            return; // servers run as us and reach whatever we reach
        }
        // The ancestors are not ours to loosen; say which one blocks the service accounts instead of failing obscurely later.
        for (var dir = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if ((File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) == 0)
            {
                throw new InvalidOperationException(
                    $"the service accounts (postgres, mysql, redis, rabbitmq) cannot reach {path}: {dir} is not traversable by others; run `chmod o+x {dir}` or choose a data directory outside it");
            }
        }
    }

    /// <summary>Creates a directory of ours that service accounts pass through to their own subdirectories: 0711.</summary>
    public static void EnsureTraversableDirectory(string path)
    {
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, PrivateDirectory | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }

    /// <summary>Writes a file atomically (temp, fsync, rename) with mode 0600.</summary>
    public static void WriteAtomic(string path, string content) => WriteAtomic(path, Encoding.UTF8.GetBytes(content));

    public static void WriteAtomic(string path, byte[] content)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = PrivateFile,
            }))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>Reads a 0600 secret file, or creates it with <paramref name="create"/>'s value.</summary>
    public static string ReadOrCreateSecret(string path, Func<string> create)
    {
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length > 0)
            {
                return existing;
            }
        }
        var value = create();
        WriteAtomic(path, value + "\n");
        return value;
    }

    /// <summary>chown -R to a service account (root only; a no-op otherwise, where everything runs as us).</summary>
    public static async Task ChownAsync(string path, string account, CancellationToken ct, bool recursive = true)
    {
        if (!ProcessRunner.IsRoot)
        {
            return;
        }
        var args = new List<string>();
        if (recursive)
        {
            args.Add("-R");
        }
        args.Add($"{account}:");
        args.Add(path);
        await ProcessRunner.RunAsync("chown", args, ct);
    }

    /// <summary>Deletes a directory tree if present (rm -rf also handles files owned by other accounts, as root).</summary>
    public static async Task DeleteTreeAsync(string path, CancellationToken ct)
    {
        if (Directory.Exists(path) || File.Exists(path))
        {
            await ProcessRunner.RunAsync("rm", ["-rf", "--", path], ct);
        }
    }
}
