using System.Text.RegularExpressions;
using Ravioli.Staging.Droplets;
using Ravioli.Staging.Files;

namespace Ravioli.Staging.Buildpacks.BuiltIn;

/// <summary>
/// Publishes a .NET project with the host's SDK (<c>dotnet publish -c Release</c>) and runs the
/// framework-dependent result with <c>dotnet App.dll</c>: relocatable, since nothing in it names the
/// directory it was built in.
/// </summary>
internal sealed partial class DotnetCoreBuildpack : BuiltInBuildpack
{
    private const string DeploymentFile = ".deployment";
    private static readonly string[] s_projectPatterns = ["*.csproj", "*.fsproj", "*.vbproj"];
    private static readonly string[] s_solutionPatterns = ["*.sln", "*.slnx"];
    private static readonly HashSet<string> s_skippedDirectories = new(StringComparer.Ordinal) { "bin", "obj", "node_modules", ".git" };

    public override string Name => BuildpackNames.DotnetCore;

    public override string DetectionHint => "*.csproj/*.sln (dotnet_core)";

    protected override string Title => ".NET Core Buildpack";

    internal override bool Detect(string appDirectory) =>
        File.Exists(Path.Combine(appDirectory, DeploymentFile))
        || HasFiles(appDirectory, [.. s_projectPatterns, .. s_solutionPatterns, "*.runtimeconfig.json"]);

    protected override async Task<BuildpackRelease> BuildAsync(BuildpackContext context, CancellationToken cancellationToken)
    {
        var nuget = Path.Combine(context.CacheDirectory, "nuget");
        var environment = context.EnvironmentWith(
            ("DOTNET_CLI_HOME", context.CacheDirectory),
            ("NUGET_PACKAGES", Path.Combine(nuget, "packages")),
            ("NUGET_HTTP_CACHE_PATH", Path.Combine(nuget, "http-cache")),
            ("DOTNET_CLI_TELEMETRY_OPTOUT", "1"),
            ("DOTNET_NOLOGO", "1"),
            ("DOTNET_SKIP_FIRST_TIME_EXPERIENCE", "1"),
            ("DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE", "1"),
            ("DOTNET_GENERATE_ASPNET_CERTIFICATE", "false"),
            ("DOTNET_ADD_GLOBAL_TOOLS_TO_PATH", "false"),
            // Build servers would outlive the staging (and its sandbox); the runner would have to kill them.
            ("DOTNET_CLI_USE_MSBUILD_SERVER", "0"),
            ("MSBUILDDISABLENODEREUSE", "1"));

        var project = FindProject(context);
        if (project is null)
        {
            context.Output.Info("No project file: the app was pushed already published");
            await WriteProfileAsync(context, cancellationToken);
            return Release(context.AppDirectory, null);
        }

        await RequireToolAsync(context, "dotnet", ["--version"], ".NET SDK", environment, cancellationToken);
        var relativeProject = Path.GetRelativePath(context.AppDirectory, project);
        context.Output.Step($"Publishing {relativeProject}");
        var publish = Path.Combine(context.TempDirectory, "dotnet-publish");
        FileTree.Delete(publish);
        await context.RunAsync("dotnet",
            ["publish", relativeProject, "-c", "Release", "-o", publish, "--nologo", "--disable-build-servers", "-p:UseAppHost=false"],
            new RunOptions { Environment = environment }, cancellationToken);

        // The droplet holds the published app only; sources, obj/ and bin/ stay behind, as in Cloud Foundry.
        FileTree.DeleteContents(context.AppDirectory, new HashSet<string>(StringComparer.Ordinal) { DropletLayout.ProfileDirectoryName, DropletLayout.DepsDirectoryName });
        FileTree.MoveContents(publish, context.AppDirectory);
        await WriteProfileAsync(context, cancellationToken);
        return Release(context.AppDirectory, Path.GetFileNameWithoutExtension(project));
    }

    private static Task WriteProfileAsync(BuildpackContext context, CancellationToken cancellationToken) =>
        context.WriteProfileScriptAsync("dotnet_core.sh", """
            # Written by Ravioli's dotnet_core_buildpack: ASP.NET Core listens on the platform's port unless the app says otherwise.
            export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://0.0.0.0:${PORT:-8080}}"
            export DOTNET_NOLOGO="${DOTNET_NOLOGO:-1}"
            export DOTNET_CLI_TELEMETRY_OPTOUT="${DOTNET_CLI_TELEMETRY_OPTOUT:-1}"

            """, cancellationToken);

    /// <summary>
    /// The project to publish: the one named in <c>.deployment</c> (Azure's and CF's convention), else the
    /// only project at the root, else the only web project under a solution.
    /// </summary>
    private static string? FindProject(BuildpackContext context)
    {
        var app = context.AppDirectory;
        var deployment = Path.Combine(app, DeploymentFile);
        if (File.Exists(deployment))
        {
            var match = DeploymentProject().Match(File.ReadAllText(deployment));
            if (match.Success)
            {
                var named = Path.GetFullPath(Path.Combine(app, match.Groups["path"].Value.Trim()));
                if (!named.StartsWith(app + "/", StringComparison.Ordinal) || !File.Exists(named))
                {
                    throw context.Fail($".deployment names project '{match.Groups["path"].Value.Trim()}', which is not a file inside the app.");
                }
                return named;
            }
        }

        var rootProjects = s_projectPatterns.SelectMany(p => Directory.GetFiles(app, p)).Order(StringComparer.Ordinal).ToList();
        if (rootProjects.Count == 1)
        {
            return rootProjects[0];
        }
        if (rootProjects.Count > 1)
        {
            throw context.Fail($"the app's root has several projects ({string.Join(", ", rootProjects.Select(Path.GetFileName))}). " +
                "Name the one to run in a .deployment file: \"[config]\" then \"project = MyApp.csproj\".");
        }
        if (!HasFiles(app, s_solutionPatterns))
        {
            return null;
        }
        var webProjects = ProjectsUnder(new DirectoryInfo(app), depth: 0)
            .Where(p => File.ReadAllText(p).Contains("Microsoft.NET.Sdk.Web", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        return webProjects.Count switch
        {
            1 => webProjects[0],
            0 => throw context.Fail("the solution has no web project (Sdk=\"Microsoft.NET.Sdk.Web\") to run. " +
                "Name the project to run in a .deployment file: \"[config]\" then \"project = src/MyApp/MyApp.csproj\"."),
            _ => throw context.Fail($"the solution has several web projects ({string.Join(", ", webProjects.Select(p => Path.GetRelativePath(app, p)))}). " +
                "Name the one to run in a .deployment file: \"[config]\" then \"project = src/MyApp/MyApp.csproj\"."),
        };
    }

    private static IEnumerable<string> ProjectsUnder(DirectoryInfo directory, int depth)
    {
        foreach (var pattern in s_projectPatterns)
        {
            foreach (var file in directory.EnumerateFiles(pattern))
            {
                yield return file.FullName;
            }
        }
        if (depth >= 4)
        {
            yield break;
        }
        foreach (var sub in directory.EnumerateDirectories("*", new EnumerationOptions { AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            if (!s_skippedDirectories.Contains(sub.Name))
            {
                foreach (var project in ProjectsUnder(sub, depth + 1))
                {
                    yield return project;
                }
            }
        }
    }

    /// <summary>Starts the entry assembly, found by its <c>.runtimeconfig.json</c> (only runnable assemblies have one).</summary>
    private static BuildpackRelease Release(string directory, string? preferred)
    {
        var candidates = Directory.GetFiles(directory, "*.runtimeconfig.json")
            .Select(f => Path.GetFileName(f)[..^".runtimeconfig.json".Length])
            .Where(name => File.Exists(Path.Combine(directory, name + ".dll")))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (preferred is not null && candidates.Contains(preferred))
        {
            return BuildpackRelease.Web($"dotnet {Quote(preferred + ".dll")}");
        }
        return candidates.Count switch
        {
            1 => BuildpackRelease.Web($"dotnet {Quote(candidates[0] + ".dll")}"),
            0 => BuildpackRelease.None("dotnet_core_buildpack found no runnable assembly (a .dll with a .runtimeconfig.json). " +
                "Make the project an executable (<OutputType>Exe</OutputType>, or Sdk=\"Microsoft.NET.Sdk.Web\"), or add a Procfile."),
            _ => BuildpackRelease.None($"dotnet_core_buildpack found several runnable assemblies ({string.Join(", ", candidates)}). " +
                $"Add a Procfile naming one, e.g. \"web: dotnet {candidates[0]}.dll\"."),
        };
    }

    [GeneratedRegex(@"^\s*project\s*=\s*(?<path>.+?)\s*$", RegexOptions.Multiline)]
    private static partial Regex DeploymentProject();
}
