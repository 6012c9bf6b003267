using System.Text.RegularExpressions;

namespace Ravioli.Staging.Buildpacks.BuiltIn;

/// <summary>
/// Runs an executable jar (or an exploded one, as <c>cf push -p app.jar</c> uploads it) on the host's
/// JVM, with the heap sized from <c>MEMORY_LIMIT</c> at run time and <c>JAVA_OPTS</c> honoured.
/// </summary>
internal sealed partial class JavaBuildpack : BuiltInBuildpack
{
    /// <summary>Where the launcher lives in the droplet; the start command runs it with <c>sh</c>, so no exec bit is needed.</summary>
    internal const string Launcher = ".java-buildpack/start.sh";
    private const string Manifest = "META-INF/MANIFEST.MF";

    public override string Name => BuildpackNames.Java;

    public override string DetectionHint => "*.jar (java)";

    protected override string Title => "Java Buildpack";

    internal override bool Detect(string appDirectory) =>
        HasFiles(appDirectory, "*.jar") || MainClass(Path.Combine(appDirectory, Manifest)) is not null;

    protected override async Task<BuildpackRelease> BuildAsync(BuildpackContext context, CancellationToken cancellationToken)
    {
        await RequireToolAsync(context, "java", ["-version"], "Java", null, cancellationToken);
        await Assets.WriteAsync(Assets.JavaLauncher, Path.Combine(context.AppDirectory, Launcher), executable: true, cancellationToken);
        context.Output.Info("Heap: 75% of MEMORY_LIMIT at run time; JAVA_OPTS is added after it (so an -Xmx there wins)");

        var jars = context.AppFiles("*.jar");
        if (jars.Length == 1)
        {
            context.Output.Info($"Executable jar: {jars[0]}");
            return BuildpackRelease.Web($"sh {Launcher} -jar {Quote(jars[0])}");
        }
        if (jars.Length > 1)
        {
            return BuildpackRelease.None($"java_buildpack found several jars at the app's root ({string.Join(", ", jars)}). " +
                $"Push only the one to run, or add a Procfile, e.g. \"web: sh {Launcher} -jar {jars[0]}\".");
        }
        if (MainClass(Path.Combine(context.AppDirectory, Manifest)) is { } mainClass)
        {
            context.Output.Info($"Exploded jar, Main-Class: {mainClass}");
            return BuildpackRelease.Web($"sh {Launcher} -cp . {Quote(mainClass)}");
        }
        return BuildpackRelease.None("java_buildpack found no jar at the app's root and no META-INF/MANIFEST.MF with a Main-Class. " +
            "Push an executable jar (\"cf push -p target/app.jar\"), or add a Procfile.");
    }

    private static string? MainClass(string manifestPath)
    {
        if (!File.Exists(manifestPath))
        {
            return null;
        }
        var match = MainClassLine().Match(File.ReadAllText(manifestPath));
        return match.Success ? match.Groups["class"].Value : null;
    }

    [GeneratedRegex(@"^Main-Class:\s*(?<class>[A-Za-z0-9_.$]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex MainClassLine();
}
