using Ravioli.Cli.Manifests;

namespace Ravioli.Cli.Commands.Push;

/// <summary>What was given on the command line of <c>rav push</c>; null = not given.</summary>
internal sealed record PushFlags
{
    public string? Name { get; init; }

    public string? Path { get; init; }

    public IReadOnlyList<string>? Buildpacks { get; init; }

    /// <summary>The flags that shape the web process (-i, -m, -k, -c, -u, --endpoint, -t).</summary>
    public ProcessSettings Web { get; init; } = new();

    public bool NoStart { get; init; }

    public bool NoRoute { get; init; }

    public bool RandomRoute { get; init; }

    /// <summary>True when a flag changes an app's settings, which is ambiguous with several apps in a manifest.</summary>
    public bool ChangesAnApp
        => Path is not null || Buildpacks is not null || Web.HasScale || Web.HasProcessUpdate || NoRoute || RandomRoute;
}

/// <summary>One app to push, with the manifest and the flags already merged (flags win).</summary>
internal sealed record PushPlan
{
    public required string Name { get; init; }

    /// <summary>The app's directory, or a .zip/.jar file, as an absolute path.</summary>
    public required string Source { get; init; }

    /// <summary>Null = leave the app's buildpacks as they are; empty = detect.</summary>
    public IReadOnlyList<string>? Buildpacks { get; init; }

    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    public ProcessSettings Web { get; init; } = new();

    /// <summary>Settings for process types other than web, from the manifest's <c>processes:</c>.</summary>
    public IReadOnlyList<ProcessManifest> OtherProcesses { get; init; } = [];

    /// <summary>Routes as written (<c>host.domain/path</c>); null = keep the app's routes, or give it a default one.</summary>
    public IReadOnlyList<string>? Routes { get; init; }

    public bool RandomRoute { get; init; }

    public bool NoRoute { get; init; }

    public bool NoStart { get; init; }

    /// <summary>The service instances to bind before the app starts.</summary>
    public IReadOnlyList<ServiceManifest> Services { get; init; } = [];
}

/// <summary>Turns a manifest (if any) and the flags into the list of apps to push, refusing what is ambiguous.</summary>
internal static class PushPlanner
{
    public static IReadOnlyList<PushPlan> Plan(Manifest? manifest, PushFlags flags, string workingDirectory)
    {
        if (manifest is null)
        {
            var name = flags.Name
                ?? throw new CliException("rav push needs an app name: 'rav push NAME', or a manifest.yml with the app's 'name' in the app's directory (or -f MANIFEST).");
            return [FromFlags(new AppManifest { Name = name }, flags, workingDirectory, workingDirectory)];
        }

        IReadOnlyList<AppManifest> apps = manifest.Apps;
        if (flags.Name is { } wanted)
        {
            var app = manifest.Apps.FirstOrDefault(a => a.Name == wanted)
                ?? throw new CliException(
                    $"App '{wanted}' is not in {manifest.FilePath} (it lists {string.Join(", ", manifest.Apps.Select(a => a.Name))}). Push one of those, or use --no-manifest.");
            apps = [app];
        }
        else if (apps.Count > 1 && flags.ChangesAnApp)
        {
            throw new CliException(
                $"{manifest.FilePath} lists {apps.Count} apps, and flags such as -p, -i, -m, -b or routes apply to one. Name the app: 'rav push NAME ...'.");
        }

        return [.. apps.Select(app => FromFlags(app, flags, workingDirectory, manifest.Directory))];
    }

    private static PushPlan FromFlags(AppManifest app, PushFlags flags, string workingDirectory, string manifestDirectory)
    {
        var source = flags.Path is { } path
            ? Path.GetFullPath(path, workingDirectory)
            : Path.GetFullPath(app.Path ?? ".", manifestDirectory);

        // web's settings stack up: its processes: entry, then the app-level keys, then the flags.
        var webEntry = app.Processes.FirstOrDefault(p => p.Type == "web")?.Settings ?? new ProcessSettings();
        return new PushPlan
        {
            Name = app.Name,
            Source = source,
            Buildpacks = flags.Buildpacks ?? app.Buildpacks,
            Env = app.Env,
            Web = webEntry.Overlay(app.Web).Overlay(flags.Web),
            OtherProcesses = [.. app.Processes.Where(p => p.Type != "web")],
            Routes = app.Routes,
            RandomRoute = flags.RandomRoute || app.RandomRoute,
            NoRoute = flags.NoRoute || app.NoRoute,
            NoStart = flags.NoStart,
            Services = app.Services,
        };
    }
}
