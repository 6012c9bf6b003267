namespace Ravioli.Staging.Buildpacks.BuiltIn;

/// <summary>A buildpack shipped with Ravioli, using the host's toolchains (the run-time sandbox sees the same /usr).</summary>
internal abstract class BuiltInBuildpack : IBuildpack
{
    public abstract string Name { get; }

    public abstract string DetectionHint { get; }

    public virtual bool DetectsAutomatically => true;

    /// <summary>The heading of its log, e.g. "Nodejs Buildpack".</summary>
    protected abstract string Title { get; }

    public Task<bool> DetectAsync(BuildpackContext context, CancellationToken cancellationToken) =>
        Task.FromResult(Detect(context.AppDirectory));

    public async Task SupplyAsync(BuildpackContext context, CancellationToken cancellationToken)
    {
        context.Output.Step($"{Title} (supplying dependencies for the next buildpack)");
        _ = await BuildAsync(context, cancellationToken);
    }

    public async Task<BuildpackRelease> FinalizeAsync(BuildpackContext context, CancellationToken cancellationToken)
    {
        context.Output.Step(Title);
        return await BuildAsync(context, cancellationToken);
    }

    internal abstract bool Detect(string appDirectory);

    /// <summary>Installs dependencies or compiles, then says how to start the result.</summary>
    protected abstract Task<BuildpackRelease> BuildAsync(BuildpackContext context, CancellationToken cancellationToken);

    /// <summary>Runs <c>tool --version</c> and logs it, failing clearly when the host lacks the toolchain.</summary>
    protected static async Task<string> RequireToolAsync(BuildpackContext context, string tool, IReadOnlyList<string> versionArguments, string description, IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        var output = await context.CaptureAsync(tool, versionArguments, new RunOptions { Echo = false, Quiet = true, Environment = environment }, cancellationToken);
        if (output.ExitCode != 0)
        {
            throw context.CommandFailed(output, $"{description} must be installed on the staging host for this buildpack.");
        }
        var version = output.Lines.FirstOrDefault(l => !string.IsNullOrWhiteSpace(l))?.Trim() ?? "";
        context.Output.Info(version.Contains(description, StringComparison.OrdinalIgnoreCase)
            ? $"Using {version} from the host"
            : $"Using {description} {version} from the host");
        return version;
    }

    protected static string Quote(string value) => Running.ShellQuoting.QuoteIfNeeded(value);

    protected static bool HasFiles(string directory, params string[] patterns) =>
        patterns.Any(p => Directory.EnumerateFiles(directory, p, SearchOption.TopDirectoryOnly).Any());
}
