namespace Ravioli.Staging.Buildpacks.Operator;

/// <summary>
/// A buildpack an operator uploaded, run through Cloud Foundry's contract:
/// <c>bin/detect &lt;build&gt;</c>; then <c>bin/supply &lt;build&gt; &lt;cache&gt; &lt;deps&gt; &lt;index&gt;</c> and
/// <c>bin/finalize &lt;build&gt; &lt;cache&gt; &lt;deps&gt; &lt;index&gt; &lt;profile.d&gt;</c> (v3), or
/// <c>bin/compile &lt;build&gt; &lt;cache&gt;</c> (v2); then <c>bin/release &lt;build&gt;</c> printing YAML.
/// </summary>
internal sealed class OperatorBuildpack(string name, string directory) : IBuildpack
{
    public string Name => name;

    public string Directory => directory;

    public string DetectionHint => $"{name}'s bin/detect";

    public bool DetectsAutomatically => true;

    private string Script(string script) => Path.Combine(directory, "bin", script);

    private bool Has(string script) => File.Exists(Script(script));

    public async Task<bool> DetectAsync(BuildpackContext context, CancellationToken cancellationToken)
    {
        var output = await context.CaptureAsync(Script("detect"), [context.AppDirectory], Options(context) with { Echo = false, Quiet = true }, cancellationToken);
        return output.ExitCode == 0;
    }

    public async Task SupplyAsync(BuildpackContext context, CancellationToken cancellationToken)
    {
        context.Output.Step($"{name} (supplying dependencies for the next buildpack)");
        if (!Has("supply"))
        {
            throw context.Fail("it cannot run before another buildpack because it has no bin/supply. " +
                "Put it last in the list of buildpacks, or use a buildpack that supports multi-buildpack staging.");
        }
        await RunSupplyAsync(context, cancellationToken);
    }

    public async Task<BuildpackRelease> FinalizeAsync(BuildpackContext context, CancellationToken cancellationToken)
    {
        context.Output.Step(name);
        if (Has("finalize"))
        {
            if (Has("supply"))
            {
                await RunSupplyAsync(context, cancellationToken);
            }
            System.IO.Directory.CreateDirectory(context.ProfileDirectory);
            System.IO.Directory.CreateDirectory(Path.Combine(context.DepsDirectory, Index(context)));
            await context.RunAsync(Script("finalize"),
                [context.AppDirectory, context.CacheDirectory, context.DepsDirectory, Index(context), context.ProfileDirectory],
                Options(context), cancellationToken);
        }
        else if (Has("compile"))
        {
            await context.RunAsync(Script("compile"), [context.AppDirectory, context.CacheDirectory], Options(context), cancellationToken);
        }
        else
        {
            throw context.Fail("it has neither bin/finalize nor bin/compile, so it cannot be the last buildpack.");
        }
        return await ReleaseAsync(context, cancellationToken);
    }

    private async Task RunSupplyAsync(BuildpackContext context, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Path.Combine(context.DepsDirectory, Index(context)));
        await context.RunAsync(Script("supply"),
            [context.AppDirectory, context.CacheDirectory, context.DepsDirectory, Index(context)],
            Options(context), cancellationToken);
    }

    private async Task<BuildpackRelease> ReleaseAsync(BuildpackContext context, CancellationToken cancellationToken)
    {
        if (!Has("release"))
        {
            return BuildpackRelease.None($"{name} has no bin/release to name a start command: add a Procfile (\"web: <command>\") or set a command in the manifest.");
        }
        // Only stdout is the YAML; stderr still goes to the log, so it goes through a file rather than the runner's merged lines.
        var yamlFile = Path.Combine(context.TempDirectory, $"release-{context.Index}.yml");
        var output = await context.CaptureAsync("/bin/sh", ["-c", "exec \"$0\" \"$1\" > \"$2\"", Script("release"), context.AppDirectory, yamlFile],
            Options(context) with { Echo = false }, cancellationToken);
        if (output.ExitCode != 0)
        {
            throw context.CommandFailed(output with { Command = "bin/release" });
        }
        var yaml = File.Exists(yamlFile) ? await File.ReadAllTextAsync(yamlFile, cancellationToken) : "";
        try
        {
            return ReleaseYaml.Parse(yaml) with
            {
                MissingStartCommandHint = $"{name}'s bin/release names no web process: add a Procfile (\"web: <command>\") or set a command in the manifest.",
            };
        }
        catch (FormatException e)
        {
            var firstLines = string.Join('\n', yaml.ReplaceLineEndings("\n").Split('\n').Take(10).Select(l => "  " + l));
            throw new StagingFailedException(StagingFailureReason.InvalidRelease,
                $"{name}'s bin/release printed an invalid release: {e.Message}. It must print YAML such as \"default_process_types: {{web: <command>}}\". It printed:\n{firstLines}", e);
        }
    }

    private static string Index(BuildpackContext context) => context.Index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private RunOptions Options(BuildpackContext context) => new()
    {
        Indent = false,
        Echo = false,
        ReadOnlyPaths = [directory],
        Environment = context.Environment,
    };
}
