using Ravioli.Staging.Running;

namespace Ravioli.Staging.Buildpacks;

/// <summary>Everything one buildpack sees during one staging, and the way it runs commands.</summary>
internal sealed class BuildpackContext
{
    public required string BuildpackName { get; init; }

    /// <summary>The droplet's <c>app/</c> directory, where the buildpack builds (CF's build dir).</summary>
    public required string AppDirectory { get; init; }

    /// <summary>This buildpack's part of the app's cache, kept between stagings.</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>The root of the deps directory (inside <c>app/</c>); this buildpack's own is <c>DepsDirectory/Index</c>.</summary>
    public required string DepsDirectory { get; init; }

    public required int Index { get; init; }

    /// <summary>Scratch space removed after staging.</summary>
    public required string TempDirectory { get; init; }

    /// <summary>Host paths every command may write to.</summary>
    public required IReadOnlyList<string> WritablePaths { get; init; }

    /// <summary>The staging environment: the host's pass-through variables, HOME, TMPDIR, then the app's variables.</summary>
    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    /// <summary>The variables the app itself set; they win over a buildpack's defaults.</summary>
    public required IReadOnlyDictionary<string, string> AppEnvironment { get; init; }

    public required StagingOutput Output { get; init; }

    public required IStagingRunner Runner { get; init; }

    public required int FailureOutputLines { get; init; }

    public string ProfileDirectory => Path.Combine(AppDirectory, Droplets.DropletLayout.ProfileDirectoryName);

    /// <summary>The staging environment plus a buildpack's defaults, unless the app set the same variable.</summary>
    public IReadOnlyDictionary<string, string> EnvironmentWith(params (string Name, string Value)[] defaults)
    {
        var environment = new Dictionary<string, string>(Environment, StringComparer.Ordinal);
        foreach (var (name, value) in defaults)
        {
            if (!AppEnvironment.ContainsKey(name))
            {
                environment[name] = value;
            }
        }
        return environment;
    }

    /// <summary>
    /// Runs a command, streaming its output into the staging log; a non-zero exit fails the staging
    /// with the command, its exit code and its last lines of output.
    /// </summary>
    public async Task RunAsync(string fileName, IReadOnlyList<string> arguments, RunOptions? options, CancellationToken cancellationToken)
    {
        options ??= new RunOptions();
        var command = Command(fileName, arguments, options);
        if (options.Echo)
        {
            Output.Info("$ " + Display(command));
        }
        var tail = new Queue<string>();
        var tailLock = new Lock();
        var exitCode = await Runner.RunAsync(command, line =>
        {
            lock (tailLock)
            {
                tail.Enqueue(line);
                if (tail.Count > FailureOutputLines)
                {
                    tail.Dequeue();
                }
            }
            Output.Line(options.Indent ? StagingOutput.Indent + line : line);
        }, cancellationToken);
        if (exitCode != 0)
        {
            string[] lines;
            lock (tailLock)
            {
                lines = [.. tail];
            }
            throw CommandFailed(command, exitCode, lines, options.Explain?.Invoke(lines));
        }
    }

    /// <summary>Runs a command and returns its exit code and output lines (also logged unless quiet); never fails the staging itself.</summary>
    public async Task<CommandOutput> CaptureAsync(string fileName, IReadOnlyList<string> arguments, RunOptions? options, CancellationToken cancellationToken)
    {
        options ??= new RunOptions { Echo = false };
        var command = Command(fileName, arguments, options);
        var lines = new List<string>();
        var linesLock = new Lock();
        var exitCode = await Runner.RunAsync(command, line =>
        {
            lock (linesLock)
            {
                lines.Add(line);
            }
            if (!options.Quiet)
            {
                Output.Line(options.Indent ? StagingOutput.Indent + line : line);
            }
        }, cancellationToken);
        lock (linesLock)
        {
            return new CommandOutput(Display(command), exitCode, [.. lines]);
        }
    }

    public StagingFailedException Fail(string message) =>
        new(StagingFailureReason.BuildpackFailed, $"{BuildpackName} failed: {message}");

    public StagingFailedException CommandFailed(CommandOutput output, string? explanation = null) =>
        CommandFailed(output.Command, output.ExitCode, output.Lines.TakeLast(FailureOutputLines).ToArray(), explanation);

    /// <summary>Writes a script sourced before every process starts (see <see cref="Droplets.DropletLauncher"/>).</summary>
    public async Task WriteProfileScriptAsync(string fileName, string content, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(ProfileDirectory);
        await File.WriteAllTextAsync(Path.Combine(ProfileDirectory, fileName), content.ReplaceLineEndings("\n"), cancellationToken);
    }

    public bool AppFileExists(string relativePath) => File.Exists(Path.Combine(AppDirectory, relativePath));

    public string[] AppFiles(string pattern) =>
        Directory.GetFiles(AppDirectory, pattern, SearchOption.TopDirectoryOnly)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToArray();

    private StagingCommand Command(string fileName, IReadOnlyList<string> arguments, RunOptions options) =>
        new(fileName, arguments, options.WorkingDirectory ?? AppDirectory, options.Environment ?? Environment)
        {
            AppDirectory = AppDirectory,
            WritablePaths = WritablePaths,
            ReadOnlyPaths = options.ReadOnlyPaths,
        };

    private string Display(StagingCommand command) => Display(command.DisplayText);

    private string Display(string text) =>
        text.Replace(AppDirectory, "<app>", StringComparison.Ordinal)
            .Replace(TempDirectory, "<tmp>", StringComparison.Ordinal)
            .Replace(CacheDirectory, "<cache>", StringComparison.Ordinal);

    private StagingFailedException CommandFailed(StagingCommand command, int exitCode, IReadOnlyList<string> tail, string? explanation) =>
        CommandFailed(Display(command), exitCode, tail, explanation);

    private StagingFailedException CommandFailed(string command, int exitCode, IReadOnlyList<string> tail, string? explanation)
    {
        var message = $"{BuildpackName} failed: `{command}` exited with code {exitCode}.";
        if (!string.IsNullOrWhiteSpace(explanation))
        {
            message += " " + explanation;
        }
        if (tail.Count > 0)
        {
            message += $"\nLast {tail.Count} lines of its output:\n" + string.Join('\n', tail.Select(l => "  " + l));
        }
        return new StagingFailedException(StagingFailureReason.BuildpackFailed, message);
    }
}

/// <summary>How <see cref="BuildpackContext"/> runs one command.</summary>
internal sealed record RunOptions
{
    public string? WorkingDirectory { get; init; }

    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    public IReadOnlyList<string> ReadOnlyPaths { get; init; } = [];

    /// <summary>Indent output lines (tool output); operator buildpacks format their own.</summary>
    public bool Indent { get; init; } = true;

    /// <summary>Log the command line before running it.</summary>
    public bool Echo { get; init; } = true;

    /// <summary>Capture only, without logging the output.</summary>
    public bool Quiet { get; init; }

    /// <summary>Turns the last output lines into a hint for the error message (e.g. pip's ERROR lines).</summary>
    public Func<IReadOnlyList<string>, string?>? Explain { get; init; }
}

internal sealed record CommandOutput(string Command, int ExitCode, IReadOnlyList<string> Lines);
