namespace Ravioli.Brokers.Hosting;

/// <summary>Finds the server and client programs the brokers drive; each lookup names the Debian package that provides it.</summary>
internal static class Binaries
{
    private static readonly string[] ExtraDirectories = ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin", "/usr/local/sbin"];

    public static string? Find(string program)
    {
        if (Path.IsPathRooted(program))
        {
            return File.Exists(program) ? program : null;
        }
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        foreach (var dir in path.Concat(ExtraDirectories))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    public static string? FindFirst(params string[] programs) => programs.Select(Find).FirstOrDefault(p => p is not null);

    /// <summary>The newest /usr/lib/postgresql/N/bin holding initdb and pg_ctl (Debian's layout), or one on PATH.</summary>
    public static string? PostgresBinDirectory()
    {
        const string root = "/usr/lib/postgresql";
        if (Directory.Exists(root))
        {
            var best = Directory.GetDirectories(root)
                .Select(d => (dir: Path.Combine(d, "bin"), version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(x => File.Exists(Path.Combine(x.dir, "initdb")) && File.Exists(Path.Combine(x.dir, "pg_ctl")))
                .OrderByDescending(x => x.version)
                .FirstOrDefault();
            if (best.dir is not null)
            {
                return best.dir;
            }
        }
        var initdb = Find("initdb");
        return initdb is not null && Find("pg_ctl") is not null ? Path.GetDirectoryName(initdb) : null;
    }
}
