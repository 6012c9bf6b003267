namespace Ravioli.Core.Sandboxing;

/// <summary>The host's system directories as every sandbox sees them: /usr and /etc read-only, /bin, /lib… as on the host.</summary>
public static class SystemMounts
{
    /// <summary>bwrap arguments that make /usr, /etc and the top-level system directories (or their merged-/usr symlinks) visible read-only.</summary>
    public static IReadOnlyList<string> BwrapArguments()
    {
        var args = new List<string> { "--ro-bind", "/usr", "/usr" };
        // Merged-/usr hosts have /bin, /lib… as symlinks into /usr; others have real directories to bind read-only.
        foreach (var top in new[] { "bin", "sbin", "lib", "lib32", "lib64", "libx32" })
        {
            var host = "/" + top;
            var info = new FileInfo(host);
            if (info.LinkTarget is { } target)
            {
                args.AddRange(["--symlink", target.TrimStart('/'), host]);
            }
            else if (Directory.Exists(host))
            {
                args.AddRange(["--ro-bind", host, host]);
            }
        }
        args.AddRange(["--ro-bind", "/etc", "/etc"]);
        return args;
    }
}
