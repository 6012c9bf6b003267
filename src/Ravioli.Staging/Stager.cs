using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ravioli.Staging.Buildpacks;
using Ravioli.Staging.Droplets;
using Ravioli.Staging.Files;
using Ravioli.Staging.Running;

namespace Ravioli.Staging;

/// <summary>
/// Turns an app's source into a droplet with buildpacks, as Cloud Foundry's staging does: detect (or
/// take the requested buildpacks), supply and finalize, read the Procfile, write <c>staging_info.json</c>.
/// </summary>
public sealed class Stager
{
    private const string DropletDirectoryName = "droplet";

    private readonly BuildpackRegistry _registry;
    private readonly IStagingRunner _runner;
    private readonly StagerOptions _options;
    private readonly ILogger _logger;

    public Stager(BuildpackRegistry registry, IStagingRunner runner, StagerOptions? options = null, ILogger<Stager>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(runner);
        _options = options ?? new StagerOptions();
        _options.Validate();
        _registry = registry;
        _runner = runner;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>A stager with the built-in buildpacks running commands as plain child processes.</summary>
    public Stager()
        : this(BuildpackRegistry.Default, new ProcessStagingRunner())
    {
    }

    public BuildpackRegistry Registry => _registry;

    /// <summary>
    /// Stages <paramref name="request"/>, writing the user's staging log line by line to <paramref name="log"/>
    /// (possibly from several threads, never concurrently).
    /// </summary>
    /// <exception cref="StagingFailedException">No droplet; the message says why and what to do.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; every command was killed.</exception>
    public async Task<StagingResult> StageAsync(StagingRequest request, Action<string> log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(log);
        var output = new StagingOutput(log);
        var started = Stopwatch.GetTimestamp();
        var source = request.SourceDirectory;
        if (_logger.IsEnabled(LogLevel.Information))
        {
            Log.StagingStarted(_logger, source, request.Buildpacks.Count == 0 ? "detection" : string.Join(", ", request.Buildpacks));
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (request.Timeout > TimeSpan.Zero && request.Timeout != Timeout.InfiniteTimeSpan)
        {
            deadline.CancelAfter(request.Timeout);
        }
        try
        {
            var result = await StageCoreAsync(request, output, deadline.Token);
            var elapsed = Elapsed(started);
            Log.StagingSucceeded(_logger, source, result.Buildpack, elapsed);
            return result;
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var failure = new StagingFailedException(StagingFailureReason.Timeout,
                $"Staging exceeded {Describe(request.Timeout)}, its time limit, and was stopped. " +
                "Make the build faster (keep dependencies small, vendor them) or ask for a longer staging time limit.", e);
            Report(output, failure, started, source);
            throw failure;
        }
        catch (OperationCanceledException)
        {
            Log.StagingCancelled(_logger, source);
            output.Step("Staging cancelled");
            throw;
        }
        catch (StagingFailedException failure)
        {
            Report(output, failure, started, source);
            throw;
        }
    }

    /// <summary>The buildpack that would stage the app in <paramref name="appDirectory"/>, or null; runs operator buildpacks' bin/detect.</summary>
    internal async Task<string?> DetectAsync(string appDirectory, string workDirectory, CancellationToken cancellationToken)
    {
        var layout = Layout.Create(Path.GetFullPath(appDirectory), Path.GetFullPath(workDirectory), null);
        var environment = StagingEnvironment(new Dictionary<string, string>(), layout);
        var detected = await DetectBuildpackAsync(layout, environment, new Dictionary<string, string>(), new StagingOutput(_ => { }), cancellationToken);
        return detected?.Name;
    }

    private async Task<StagingResult> StageCoreAsync(StagingRequest request, StagingOutput output, CancellationToken cancellationToken)
    {
        var (sourceDirectory, workDirectory) = ValidatePaths(request);
        var dropletDirectory = Path.Combine(workDirectory, DropletDirectoryName);
        FileTree.Delete(dropletDirectory);
        var layout = Layout.Create(Path.Combine(dropletDirectory, DropletLayout.AppDirectoryName), workDirectory, request.CacheDirectory);

        output.Step("Copying app files");
        var copied = await FileTree.CopyAsync(sourceDirectory, layout.App, cancellationToken);
        output.Info($"{copied.Files} files, {FormatSize(copied.Bytes)}");
        foreach (var link in copied.SkippedLinks)
        {
            output.Info($"Skipped symlink {link}: it points outside the app");
        }
        var pushedProcfile = await Procfile.ReadAsync(layout.App, cancellationToken);

        var environment = StagingEnvironment(request.Environment, layout);
        var buildpacks = await ChooseBuildpacksAsync(request, layout, environment, output, cancellationToken);

        for (var index = 0; index < buildpacks.Count - 1; index++)
        {
            await buildpacks[index].SupplyAsync(Context(buildpacks[index], index, layout, environment, request.Environment, output), cancellationToken);
        }
        var final = buildpacks[^1];
        var release = await final.FinalizeAsync(Context(final, buildpacks.Count - 1, layout, environment, request.Environment, output), cancellationToken);

        await FinishDepsAsync(layout, cancellationToken);
        await WriteConfigVarsAsync(layout, release, cancellationToken);
        var processTypes = await ProcessTypesAsync(layout, release, pushedProcfile, request.StartCommand, output, cancellationToken);
        if (!processTypes.TryGetValue(ProcessTypeNames.Web, out var web))
        {
            throw new StagingFailedException(StagingFailureReason.NoStartCommand,
                release.MissingStartCommandHint ?? $"{final.Name} named no start command: add a Procfile (\"web: <command>\") or set a command in the manifest.");
        }

        output.Step("Process types");
        foreach (var (type, command) in processTypes.OrderBy(p => p.Key == ProcessTypeNames.Web ? "" : p.Key, StringComparer.Ordinal))
        {
            output.Info($"{type}: {command}");
        }
        await new StagingInfo(final.Name, web, processTypes).WriteAsync(dropletDirectory, cancellationToken);
        FileTree.Delete(layout.Temp);
        FileTree.Delete(layout.Home);

        string? archive = null;
        if (request.DropletArchivePath is { } archivePath)
        {
            output.Step("Uploading droplet");
            archive = Path.GetFullPath(archivePath);
            await DropletArchive.CreateAsync(dropletDirectory, archive, cancellationToken);
            output.Info($"Uploaded droplet ({FormatSize(new FileInfo(archive).Length)})");
        }
        output.Step($"Staging complete: {final.Name}");
        return new StagingResult(final.Name, buildpacks.Select(b => b.Name).ToList(), processTypes, dropletDirectory, archive);
    }

    private async Task<IReadOnlyList<IBuildpack>> ChooseBuildpacksAsync(StagingRequest request, Layout layout, IReadOnlyDictionary<string, string> environment, StagingOutput output, CancellationToken cancellationToken)
    {
        if (request.Buildpacks.Count > 0)
        {
            var chosen = new List<IBuildpack>();
            foreach (var name in request.Buildpacks)
            {
                chosen.Add(_registry.Find(name) ?? throw new StagingFailedException(StagingFailureReason.BuildpackNotFound,
                    $"Buildpack '{name}' was not found. Available buildpacks: {string.Join(", ", _registry.InOrder.Select(b => b.Name))}."));
            }
            // As with "cf push -b": the chosen buildpacks run without detection.
            output.Step($"Using buildpack{(chosen.Count > 1 ? "s" : "")} {string.Join(", ", chosen.Select(b => b.Name))} (chosen, so detection is skipped)");
            return chosen;
        }

        output.Step("Detecting buildpack");
        var detected = await DetectBuildpackAsync(layout, environment, request.Environment, output, cancellationToken);
        if (detected is null)
        {
            var hints = _registry.InOrder.Where(b => b.DetectsAutomatically).Select(b => b.DetectionHint);
            throw new StagingFailedException(StagingFailureReason.NoBuildpackDetected,
                $"No buildpack detected. Looked for: {string.Join(", ", hints)}. Use -b to choose one.");
        }
        output.Info($"Detected {detected.Name}");
        return [detected];
    }

    private async Task<IBuildpack?> DetectBuildpackAsync(Layout layout, IReadOnlyDictionary<string, string> environment, IReadOnlyDictionary<string, string> appEnvironment, StagingOutput output, CancellationToken cancellationToken)
    {
        foreach (var buildpack in _registry.InOrder.Where(b => b.DetectsAutomatically))
        {
            var context = Context(buildpack, 0, layout, environment, appEnvironment, output);
            if (await buildpack.DetectAsync(context, cancellationToken))
            {
                return buildpack;
            }
        }
        return null;
    }

    private BuildpackContext Context(IBuildpack buildpack, int index, Layout layout, IReadOnlyDictionary<string, string> environment, IReadOnlyDictionary<string, string> appEnvironment, StagingOutput output)
    {
        var cache = Path.Combine(layout.Cache, buildpack.Name);
        Directory.CreateDirectory(cache);
        return new BuildpackContext
        {
            BuildpackName = buildpack.Name,
            AppDirectory = layout.App,
            CacheDirectory = cache,
            DepsDirectory = layout.Deps,
            Index = index,
            TempDirectory = layout.Temp,
            WritablePaths = [layout.App, layout.Cache, layout.Temp, layout.Home],
            Environment = environment,
            AppEnvironment = appEnvironment,
            Output = output,
            Runner = _runner,
            FailureOutputLines = _options.FailureOutputLines,
        };
    }

    /// <summary>The environment of every staging command: chosen host variables, private HOME and TMPDIR, then the app's own.</summary>
    private Dictionary<string, string> StagingEnvironment(IReadOnlyDictionary<string, string> appEnvironment, Layout layout)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in _options.PassThroughEnvironment)
        {
            if (System.Environment.GetEnvironmentVariable(name) is { } value)
            {
                environment[name] = value;
            }
        }
        environment.TryAdd("PATH", "/usr/local/bin:/usr/bin:/bin");
        environment.TryAdd("LANG", "C.UTF-8");
        environment["HOME"] = layout.Home;
        environment["TMPDIR"] = layout.Temp;
        environment["CF_STACK"] = _options.Stack;
        foreach (var (name, value) in appEnvironment)
        {
            environment[name] = value;
        }
        return environment;
    }

    /// <summary>
    /// Makes supplied dependencies usable at run time: <c>DEPS_DIR</c> points at <c>app/.deps</c>, and
    /// each buildpack's <c>deps/N/profile.d</c> scripts run before the app's own, as in Cloud Foundry.
    /// </summary>
    private static async Task FinishDepsAsync(Layout layout, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(layout.Deps))
        {
            return;
        }
        if (!Directory.EnumerateFileSystemEntries(layout.Deps, "*", SearchOption.AllDirectories).Any(File.Exists))
        {
            FileTree.Delete(layout.Deps);
            return;
        }
        var profile = Path.Combine(layout.App, DropletLayout.ProfileDirectoryName);
        Directory.CreateDirectory(profile);
        await File.WriteAllTextAsync(Path.Combine(profile, "000_deps.sh"),
            $"# Written by Ravioli: dependencies supplied at staging travel inside the app directory.\nexport DEPS_DIR=\"$HOME/{DropletLayout.DepsDirectoryName}\"\n",
            cancellationToken);
        foreach (var index in Directory.GetDirectories(layout.Deps).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal))
        {
            var scripts = Path.Combine(layout.Deps, index, "profile.d");
            if (!Directory.Exists(scripts))
            {
                continue;
            }
            foreach (var script in Directory.GetFiles(scripts, "*.sh").Order(StringComparer.Ordinal))
            {
                File.Copy(script, Path.Combine(profile, $"000_deps_{index}_{Path.GetFileName(script)}"), overwrite: true);
            }
        }
    }

    /// <summary>bin/release <c>config_vars</c> become run-time defaults, which the app's own variables override.</summary>
    private static async Task WriteConfigVarsAsync(Layout layout, BuildpackRelease release, CancellationToken cancellationToken)
    {
        var valid = release.ConfigVars.Where(v => IsVariableName(v.Key)).ToList();
        if (valid.Count == 0)
        {
            return;
        }
        var lines = valid.Select(v => $"if [ -z \"${{{v.Key}+set}}\" ]; then export {v.Key}={ShellQuoting.Quote(v.Value)}; fi");
        var profile = Path.Combine(layout.App, DropletLayout.ProfileDirectoryName);
        Directory.CreateDirectory(profile);
        await File.WriteAllTextAsync(Path.Combine(profile, "000_release_config_vars.sh"),
            "# Written by Ravioli from the buildpack's bin/release config_vars.\n" + string.Join('\n', lines) + "\n", cancellationToken);
    }

    /// <summary>Buildpack defaults, overridden by the Procfile, overridden in turn by the app's own command, as in Cloud Foundry.</summary>
    private static async Task<Dictionary<string, string>> ProcessTypesAsync(Layout layout, BuildpackRelease release, Procfile.ParseResult? pushedProcfile, string? startCommand, StagingOutput output, CancellationToken cancellationToken)
    {
        var processTypes = release.ProcessTypes
            .Where(p => !string.IsNullOrWhiteSpace(p.Value))
            .ToDictionary(p => p.Key, p => p.Value.Trim(), StringComparer.Ordinal);
        // A buildpack may write a Procfile; one that removed the app's (dotnet publish output) leaves the pushed one in force.
        var procfile = await Procfile.ReadAsync(layout.App, cancellationToken) ?? pushedProcfile;
        if (procfile is not null)
        {
            foreach (var ignored in procfile.IgnoredLines)
            {
                output.Info($"Ignored Procfile line (expected \"type: command\"): {ignored}");
            }
            foreach (var (type, command) in procfile.ProcessTypes)
            {
                processTypes[type] = command;
            }
        }
        if (!string.IsNullOrWhiteSpace(startCommand))
        {
            processTypes[ProcessTypeNames.Web] = startCommand.Trim();
        }
        return processTypes;
    }

    private static (string Source, string Work) ValidatePaths(StagingRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.SourceDirectory) || !Directory.Exists(request.SourceDirectory))
        {
            throw new StagingFailedException(StagingFailureReason.InvalidRequest, $"The app's source directory '{request.SourceDirectory}' does not exist.");
        }
        if (string.IsNullOrWhiteSpace(request.WorkDirectory))
        {
            throw new StagingFailedException(StagingFailureReason.InvalidRequest, "No work directory was given for the staging.");
        }
        var source = Path.GetFullPath(request.SourceDirectory).TrimEnd('/');
        var work = Path.GetFullPath(request.WorkDirectory).TrimEnd('/');
        if (IsWithin(work, source) || IsWithin(source, work))
        {
            throw new StagingFailedException(StagingFailureReason.InvalidRequest, $"The work directory {work} and the source directory {source} must not contain each other.");
        }
        Directory.CreateDirectory(work);
        return (source, work);
    }

    private static bool IsWithin(string path, string directory) =>
        path == directory || path.StartsWith(directory + "/", StringComparison.Ordinal);

    private static bool IsVariableName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private void Report(StagingOutput output, StagingFailedException failure, long started, string source)
    {
        var elapsed = Elapsed(started);
        Log.StagingFailed(_logger, source, failure.Reason, elapsed);
        output.Step("Staging failed");
        output.Info(failure.Message.Split('\n')[0]);
    }

    private static long Elapsed(long started) => (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;

    internal static string Describe(TimeSpan span)
    {
        static string Plural(double value, string unit) =>
            value.ToString("0.##", CultureInfo.InvariantCulture) + " " + unit + (value == 1 ? "" : "s");
        return span.TotalMinutes >= 1 && span.TotalMinutes == Math.Floor(span.TotalMinutes) ? Plural(span.TotalMinutes, "minute")
            : span.TotalSeconds >= 1 ? Plural(span.TotalSeconds, "second")
            : Plural(span.TotalMilliseconds, "millisecond");
    }

    private static string FormatSize(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KB",
        _ => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
    };

    /// <summary>Where one staging keeps what: the app (build) directory, deps inside it, cache, scratch.</summary>
    private sealed record Layout(string App, string Deps, string Cache, string Temp, string Home)
    {
        public static Layout Create(string app, string work, string? cache)
        {
            var layout = new Layout(
                app,
                Path.Combine(app, DropletLayout.DepsDirectoryName),
                cache is null ? Path.Combine(work, "cache") : Path.GetFullPath(cache),
                Path.Combine(work, "tmp"),
                Path.Combine(work, "home"));
            FileTree.Delete(layout.Temp);
            FileTree.Delete(layout.Home);
            foreach (var directory in new[] { layout.App, layout.Cache, layout.Temp, layout.Home })
            {
                Directory.CreateDirectory(directory);
            }
            return layout;
        }
    }
}
