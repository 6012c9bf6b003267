namespace Ravioli.Staging.Running;

/// <summary>
/// One command of a staging. The environment is complete: nothing is inherited from the host, so a
/// sandboxed runner can pass it on unchanged.
/// </summary>
/// <remarks>
/// Every path in the command (file name, arguments, working directory, environment) is a host path
/// listed in <see cref="WritablePaths"/> or <see cref="ReadOnlyPaths"/>. A sandbox that binds each of
/// them at the same path inside needs no rewriting; one that mounts <see cref="AppDirectory"/> at
/// <c>/app</c> must rewrite that prefix. Droplets never depend on either path, so both work.
/// </remarks>
public sealed record StagingCommand(
    string FileName,
    IReadOnlyList<string> Arguments,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>The directory being built into the droplet's <c>app/</c>, if the command touches it.</summary>
    public string? AppDirectory { get; init; }

    /// <summary>Directories the command may write to: the app, cache, temp and home directories of this staging.</summary>
    public IReadOnlyList<string> WritablePaths { get; init; } = [];

    /// <summary>Directories the command only reads, such as an operator buildpack's own files.</summary>
    public IReadOnlyList<string> ReadOnlyPaths { get; init; } = [];

    /// <summary>The command as a user would type it, for logs and error messages.</summary>
    public string DisplayText => string.Join(' ', new[] { FileName }.Concat(Arguments).Select(ShellQuoting.QuoteIfNeeded));

    public override string ToString() => DisplayText;
}
