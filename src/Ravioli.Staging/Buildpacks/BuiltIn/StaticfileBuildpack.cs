using Ravioli.Staging.Droplets;
using Ravioli.Staging.Files;

namespace Ravioli.Staging.Buildpacks.BuiltIn;

/// <summary>
/// Serves a static site with a small dependency-free Node.js server that ships with the buildpack
/// (node is on every host). The site moves into <c>app/public</c>, so the server's own files, the
/// Staticfile and the manifest are never served.
/// </summary>
internal sealed class StaticfileBuildpack : BuiltInBuildpack
{
    internal const string StaticfileName = "Staticfile";
    internal const string PublicDirectory = "public";
    internal const string ServerPath = ".staticfile/server.js";

    // Platform and configuration files that stay out of the served directory.
    private static readonly HashSet<string> s_notServed = new(StringComparer.Ordinal)
    {
        StaticfileName, Procfile.FileName, "manifest.yml", "manifest.yaml", ".cfignore",
        DropletLayout.ProfileDirectoryName, DropletLayout.DepsDirectoryName, ".profile", ".staticfile",
    };

    public override string Name => BuildpackNames.Staticfile;

    public override string DetectionHint => "index.html/Staticfile (staticfile)";

    protected override string Title => "Staticfile Buildpack";

    internal override bool Detect(string appDirectory) =>
        File.Exists(Path.Combine(appDirectory, "index.html")) || File.Exists(Path.Combine(appDirectory, StaticfileName));

    protected override async Task<BuildpackRelease> BuildAsync(BuildpackContext context, CancellationToken cancellationToken)
    {
        await RequireToolAsync(context, "node", ["--version"], "node (runs the static file server)", null, cancellationToken);
        var settings = await ReadStaticfileAsync(context, cancellationToken);

        context.Output.Step("Copying the site into public/");
        var moving = Path.Combine(context.AppDirectory, $".public-{Guid.NewGuid():N}");
        FileTree.MoveContents(context.AppDirectory, moving, name => !s_notServed.Contains(name) && !name.StartsWith(".public-", StringComparison.Ordinal));
        Directory.Move(moving, Path.Combine(context.AppDirectory, PublicDirectory));

        var root = PublicDirectory;
        if (settings.TryGetValue("root", out var configuredRoot) && NormalizeRoot(configuredRoot) is { Length: > 0 } sub)
        {
            if (sub.Split('/').Contains(".."))
            {
                throw context.Fail($"Staticfile sets root: {configuredRoot}, which leaves the app. Name a directory inside the app.");
            }
            root = PublicDirectory + "/" + sub;
            if (!Directory.Exists(Path.Combine(context.AppDirectory, root)))
            {
                throw context.Fail($"Staticfile sets root: {configuredRoot}, but the app has no such directory.");
            }
        }
        if (!File.Exists(Path.Combine(context.AppDirectory, root, "index.html")))
        {
            context.Output.Info($"Note: {root}/index.html does not exist, so GET / will answer 404");
        }

        await Assets.WriteAsync(Assets.StaticFileServer, Path.Combine(context.AppDirectory, ServerPath), executable: false, cancellationToken);
        var arguments = new List<string> { "node", ServerPath, root };
        if (IsOn(settings, "host_dot_files"))
        {
            arguments.Add("--dotfiles");
        }
        if (IsOn(settings, "pushstate"))
        {
            arguments.Add("--pushstate");
        }
        context.Output.Info($"Serving {root}/ with the buildpack's Node.js static file server");
        return BuildpackRelease.Web(string.Join(' ', arguments.Select(Quote)));
    }

    private static string NormalizeRoot(string root)
    {
        var value = root.Trim();
        while (value.StartsWith("./", StringComparison.Ordinal))
        {
            value = value[2..];
        }
        value = value.Trim('/');
        return value == "." ? "" : value;
    }

    private static bool IsOn(Dictionary<string, string> settings, string key) =>
        settings.TryGetValue(key, out var value) && value.Trim() is "true" or "enabled" or "yes" or "on";

    /// <summary>Reads the Staticfile's <c>key: value</c> lines (root, host_dot_files, pushstate).</summary>
    private static async Task<Dictionary<string, string>> ReadStaticfileAsync(BuildpackContext context, CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var path = Path.Combine(context.AppDirectory, StaticfileName);
        if (!File.Exists(path))
        {
            return settings;
        }
        foreach (var line in await File.ReadAllLinesAsync(path, cancellationToken))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && !line.TrimStart().StartsWith('#'))
            {
                settings[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }
        return settings;
    }
}
