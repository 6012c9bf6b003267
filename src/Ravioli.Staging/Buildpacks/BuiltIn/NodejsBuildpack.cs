using System.Text.Json;

namespace Ravioli.Staging.Buildpacks.BuiltIn;

/// <summary>Installs an npm app's dependencies with the host's node and npm; node_modules is relocatable as is.</summary>
internal sealed class NodejsBuildpack : BuiltInBuildpack
{
    private const string PackageJson = "package.json";

    public override string Name => BuildpackNames.Nodejs;

    public override string DetectionHint => "package.json (nodejs)";

    protected override string Title => "Nodejs Buildpack";

    internal override bool Detect(string appDirectory) => File.Exists(Path.Combine(appDirectory, PackageJson));

    protected override async Task<BuildpackRelease> BuildAsync(BuildpackContext context, CancellationToken cancellationToken)
    {
        if (!context.AppFileExists(PackageJson))
        {
            throw context.Fail("the app has no package.json at its root. Push the directory that holds package.json, or choose another buildpack.");
        }
        var package = await ReadPackageJsonAsync(context, cancellationToken);
        var environment = context.EnvironmentWith(
            ("npm_config_cache", Path.Combine(context.CacheDirectory, "npm")),
            ("npm_config_update_notifier", "false"),
            ("npm_config_fund", "false"),
            ("npm_config_audit", "false"),
            ("NODE_ENV", "production"));

        var nodeVersion = await RequireToolAsync(context, "node", ["--version"], "node", environment, cancellationToken);
        if (package.Engine is { } engine)
        {
            context.Output.Info($"package.json asks for node {engine}; the host has {nodeVersion}");
        }

        var lockFile = context.AppFileExists("package-lock.json") || context.AppFileExists("npm-shrinkwrap.json");
        // npm ci costs 1-3 s of npm starting up even when the lock file locks nothing (npm init writes one for every
        // app), which is most of a no-dependency app's staging; it would install nothing, so it is not run.
        var installs = package.HasDependencies || package.HasBuildScript || (lockFile && await LockFileLocksPackagesAsync(context, cancellationToken));
        if (installs)
        {
            context.Output.Step("Installing dependencies");
            // A build script usually needs devDependencies (bundlers, compilers); they are pruned after it.
            var include = package.HasBuildScript ? "--include=dev" : "--omit=dev";
            var install = lockFile ? new[] { "ci", include } : ["install", include];
            var run = new RunOptions { Environment = environment };
            await context.RunAsync("npm", install, run, cancellationToken);
            if (package.HasBuildScript)
            {
                context.Output.Step("Running the build script");
                await context.RunAsync("npm", ["run", "build"], run, cancellationToken);
                await context.RunAsync("npm", ["prune", "--omit=dev"], run, cancellationToken);
            }
        }
        else
        {
            context.Output.Info("No dependencies to install");
        }

        await context.WriteProfileScriptAsync("nodejs.sh", """
            # Written by Ravioli's nodejs_buildpack.
            export NODE_ENV="${NODE_ENV:-production}"
            export PATH="$HOME/node_modules/.bin:$PATH"

            """, cancellationToken);
        return StartCommand(context, package);
    }

    private static BuildpackRelease StartCommand(BuildpackContext context, PackageInfo package)
    {
        if (package.HasStartScript)
        {
            return BuildpackRelease.Web("npm start");
        }
        if (context.AppFileExists("server.js"))
        {
            return BuildpackRelease.Web("node server.js");
        }
        if (package.Main is { Length: > 0 } main && context.AppFileExists(main))
        {
            return BuildpackRelease.Web($"node {Quote(main)}");
        }
        foreach (var candidate in new[] { "index.js", "app.js" })
        {
            if (context.AppFileExists(candidate))
            {
                return BuildpackRelease.Web($"node {candidate}");
            }
        }
        return BuildpackRelease.None("nodejs_buildpack found no start command: add a \"start\" script to package.json, " +
            "a server.js or index.js, or a Procfile with \"web: node my-server.js\".");
    }

    private sealed record PackageInfo(bool HasDependencies, bool HasStartScript, bool HasBuildScript, string? Main, string? Engine);

    private static async Task<PackageInfo> ReadPackageJsonAsync(BuildpackContext context, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            await using var stream = File.OpenRead(Path.Combine(context.AppDirectory, PackageJson));
            document = await JsonDocument.ParseAsync(stream, default, cancellationToken);
        }
        catch (JsonException e)
        {
            throw context.Fail($"package.json is not valid JSON (line {e.LineNumber + 1}: {e.Message}).");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw context.Fail("package.json is not a JSON object.");
            }
            var scripts = Property(root, "scripts");
            return new PackageInfo(
                HasDependencies: HasEntries(root, "dependencies") || HasEntries(root, "devDependencies") || HasEntries(root, "optionalDependencies"),
                HasStartScript: scripts is { } s1 && StringProperty(s1, "start") is { Length: > 0 },
                HasBuildScript: scripts is { } s2 && StringProperty(s2, "build") is { Length: > 0 },
                Main: StringProperty(root, "main"),
                Engine: Property(root, "engines") is { } engines ? StringProperty(engines, "node") : null);
        }
    }

    /// <summary>
    /// Whether the lock file names any package besides the app itself ("packages" of lockfileVersion 2+, or
    /// "dependencies" of version 1). One that cannot be read counts as naming some: npm ci then says what is wrong.
    /// </summary>
    private static async Task<bool> LockFileLocksPackagesAsync(BuildpackContext context, CancellationToken cancellationToken)
    {
        var name = context.AppFileExists("npm-shrinkwrap.json") ? "npm-shrinkwrap.json" : "package-lock.json";
        try
        {
            await using var stream = File.OpenRead(Path.Combine(context.AppDirectory, name));
            using var document = await JsonDocument.ParseAsync(stream, default, cancellationToken);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return true;
            }
            if (Property(root, "packages") is { } packages && packages.EnumerateObject().Any(p => p.Name.Length > 0))
            {
                return true;
            }
            return HasEntries(root, "dependencies");
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    private static JsonElement? Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    private static string? StringProperty(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool HasEntries(JsonElement root, string name) =>
        Property(root, name) is { } map && map.EnumerateObject().Any();
}
