using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ravioli.Cli.Commands.Apps;
using Ravioli.Cli.Http;
using Ravioli.Cli.Manifests;

namespace Ravioli.Cli.Commands.Push;

/// <summary>
/// <c>rav push</c>: creates or updates apps from a directory and a Cloud Foundry manifest, stages them and
/// starts them. The manifest and every flag are checked before anything is sent to the platform.
/// </summary>
internal sealed class PushCommand : RavCommand
{
    private readonly Argument<string?> _name = new("APP_NAME") { Description = "App to push (default: every app in the manifest)", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<string?> _path = new("--path", "-p") { Description = "The app's directory, or a .zip/.jar file (default: the manifest's 'path', else the current directory)" };
    private readonly Option<string?> _manifest = new("--manifest", "-f") { Description = "Manifest file (default: manifest.yml or manifest.yaml in the app's directory)" };
    private readonly Option<bool> _noManifest = new("--no-manifest") { Description = "Ignore any manifest file" };
    private readonly Option<string?> _instances = new("--instances", "-i") { Description = "Number of web instances" };
    private readonly Option<string?> _memory = new("--memory", "-m") { Description = "Memory per instance, e.g. 256M or 1G" };
    private readonly Option<string?> _disk = new("--disk", "-k") { Description = "Disk per instance, e.g. 512M or 1G" };
    private readonly Option<string[]> _buildpacks = new("--buildpack", "-b") { Description = "Buildpack to use (repeatable; 'default' or 'null' to detect)", AllowMultipleArgumentsPerToken = false };
    private readonly Option<string?> _command = new("--start-command", "-c") { Description = "Start command of the web process ('default' or 'null' for the droplet's)" };
    private readonly Option<string?> _healthCheck = new("--health-check-type", "-u") { Description = "Health check: port, http or process" };
    private readonly Option<string?> _endpoint = new("--endpoint") { Description = "Path the http health check requests, e.g. /health" };
    private readonly Option<string?> _timeout = new("--timeout", "-t") { Description = "Seconds an instance may take to become healthy" };
    private readonly Option<bool> _noStart = new("--no-start") { Description = "Stage the app but leave it stopped" };
    private readonly Option<bool> _noRoute = new("--no-route") { Description = "Map no route (routes already mapped stay)" };
    private readonly Option<bool> _randomRoute = new("--random-route") { Description = "Give the app a route with a random host name (when it has none)" };
    private readonly Option<string?> _strategy = new("--strategy") { Description = "Deployment strategy: 'rolling' (restarts always roll out one instance at a time)" };

    public PushCommand(CliSession session)
        : base(session, "push", "Push apps: upload, stage and start them, from a directory and a manifest.yml")
    {
        Command.Arguments.Add(_name);
        Command.Options.Add(_path);
        Command.Options.Add(_manifest);
        Command.Options.Add(_noManifest);
        Command.Options.Add(_instances);
        Command.Options.Add(_memory);
        Command.Options.Add(_disk);
        Command.Options.Add(_buildpacks);
        Command.Options.Add(_command);
        Command.Options.Add(_healthCheck);
        Command.Options.Add(_endpoint);
        Command.Options.Add(_timeout);
        Command.Options.Add(_noStart);
        Command.Options.Add(_noRoute);
        Command.Options.Add(_randomRoute);
        Command.Options.Add(_strategy);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var org = Session.RequireOrg();
        var space = Session.RequireSpace();
        var flags = ReadFlags(parseResult);
        var (manifest, besideTheApp) = await FindManifestAsync(parseResult, flags, cancellationToken);
        if (besideTheApp)
        {
            // The manifest came from the -p directory, so -p named where the apps are, not a path to override.
            flags = flags with { Path = null };
        }

        foreach (var warning in manifest?.Warnings ?? [])
        {
            Ui.Warn(warning);
        }

        var plans = PushPlanner.Plan(manifest, flags, Session.Env.WorkingDirectory);
        if (manifest is not null)
        {
            Ui.Say($"Using manifest file {manifest.FilePath}");
            Ui.Blank();
        }

        var router = await RouterAddress.ResolveAsync(Session, cancellationToken);
        var pusher = new AppPusher(Session, org, space, router);
        var results = new List<JsonElement>();
        foreach (var plan in plans)
        {
            if (results.Count > 0)
            {
                Ui.Blank();
            }

            results.Add(AppDetails.ToJson(await pusher.PushAsync(plan, cancellationToken)));
        }

        Ui.Result(Json.Array(results));
    }

    /// <summary>The flags, checked: a typo in -m must fail before anything is created.</summary>
    private PushFlags ReadFlags(ParseResult parseResult)
    {
        if (parseResult.GetValue(_strategy) is { } strategy && !strategy.Equals("rolling", StringComparison.OrdinalIgnoreCase))
        {
            throw new CliException($"Invalid --strategy '{strategy}'. The only strategy is 'rolling' (which is also what every restart does).");
        }

        if (parseResult.GetValue(_noRoute) && parseResult.GetValue(_randomRoute))
        {
            throw new CliException("--no-route and --random-route contradict each other; give one.");
        }

        var buildpacks = parseResult.GetValue(_buildpacks) is { Length: > 0 } names
            ? names.Any(n => n is "default" or "null") ? [] : names
            : null;
        var endpoint = parseResult.GetValue(_endpoint);
        if (endpoint is not null && !endpoint.StartsWith('/'))
        {
            throw new CliException($"Invalid --endpoint '{endpoint}'. Give a path starting with '/', e.g. /health.");
        }

        var command = parseResult.GetValue(_command);
        return new PushFlags
        {
            Name = parseResult.GetValue(_name),
            Path = parseResult.GetValue(_path),
            Buildpacks = buildpacks,
            NoStart = parseResult.GetValue(_noStart),
            NoRoute = parseResult.GetValue(_noRoute),
            RandomRoute = parseResult.GetValue(_randomRoute),
            Web = new ProcessSettings
            {
                Instances = parseResult.GetValue(_instances) is { } instances ? Limits.ParseInstances(instances, "--instances (-i)") : null,
                MemoryMb = parseResult.GetValue(_memory) is { } memory ? Limits.ParseSize(memory, "--memory (-m)") : null,
                DiskMb = parseResult.GetValue(_disk) is { } disk ? Limits.ParseSize(disk, "--disk (-k)") : null,
                Command = command is "default" or "null" ? string.Empty : command,
                HealthCheckType = parseResult.GetValue(_healthCheck) is { } type ? HealthCheckType(type) : null,
                HealthCheckEndpoint = endpoint,
                Timeout = parseResult.GetValue(_timeout) is { } timeout ? Timeout(timeout) : null,
            },
        };
    }

    /// <summary>The manifest to use, if any, and whether it was found in the -p directory.</summary>
    private async Task<(Manifest? Manifest, bool BesideTheApp)> FindManifestAsync(ParseResult parseResult, PushFlags flags, CancellationToken cancellationToken)
    {
        var workingDirectory = Session.Env.WorkingDirectory;
        var given = parseResult.GetValue(_manifest);
        if (parseResult.GetValue(_noManifest))
        {
            return given is null
                ? (null, false)
                : throw new CliException("-f and --no-manifest contradict each other; give one.");
        }

        if (given is not null)
        {
            var path = Path.GetFullPath(given, workingDirectory);
            if (Directory.Exists(path))
            {
                path = ManifestReader.Find(path) ?? throw new CliException($"There is no manifest.yml in {path}.");
            }

            return (await ManifestReader.LoadAsync(path, cancellationToken), false);
        }

        // The manifest sits with the app: in the -p directory when one is given, else here.
        var appDirectory = flags.Path is { } appPath && Directory.Exists(Path.GetFullPath(appPath, workingDirectory))
            ? Path.GetFullPath(appPath, workingDirectory)
            : null;
        return ManifestReader.Find(appDirectory ?? workingDirectory) is { } found
            ? (await ManifestReader.LoadAsync(found, cancellationToken), appDirectory is not null)
            : (null, false);
    }

    private static string HealthCheckType(string text) => text.Trim().ToLowerInvariant() switch
    {
        "port" => "port",
        "http" => "http",
        "process" or "none" => "process",
        _ => throw new CliException($"Invalid --health-check-type '{text}'. Use port, http or process."),
    };

    private static int Timeout(string text)
        => int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds >= 1
            ? seconds
            : throw new CliException($"Invalid --timeout '{text}'. Give the number of seconds, at least 1.");
}
