namespace Ravioli.Staging.Droplets;

/// <summary>
/// How a runtime starts a process of a droplet, as Cloud Foundry's launcher does: with the working
/// directory and <c>HOME</c> set to the app directory and <c>PORT</c> set, source
/// <c>.profile.d/*.sh</c> and <c>.profile</c>, then run the process type's command with <c>/bin/sh</c>.
/// </summary>
/// <example><c>Process.Start(DropletLauncher.Shell, DropletLauncher.Arguments(info.ProcessTypes["web"]))</c></example>
public static class DropletLauncher
{
    public const string Shell = "/bin/sh";

    /// <summary>The launcher script; the command follows as <c>$1</c>.</summary>
    public const string Script =
        "for f in \"$HOME\"/.profile.d/*.sh; do if [ -r \"$f\" ]; then . \"$f\"; fi; done\n" +
        "if [ -r \"$HOME/.profile\" ]; then . \"$HOME/.profile\"; fi\n" +
        "exec /bin/sh -c \"$1\"\n";

    /// <summary>
    /// The launcher as one shell command line, for runtimes that take a single <c>/bin/sh -c</c> string
    /// (the local executor does): the command becomes <c>$1</c>, then the launcher script runs.
    /// </summary>
    public static string Command(string command)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        return "set -- " + Running.ShellQuoting.Quote(command) + "\n" + Script;
    }

    /// <summary>Arguments for <see cref="Shell"/> that run <paramref name="command"/> through the launcher script.</summary>
    public static IReadOnlyList<string> Arguments(string command)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        return ["-c", Script, "launcher", command];
    }
}
