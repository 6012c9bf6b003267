namespace Ravioli.Staging.Buildpacks.BuiltIn;

/// <summary>
/// Installs a Python app's requirements with the host's python3 into <c>app/.python_packages</c>
/// (<c>pip install --target</c>), found through <c>PYTHONPATH</c> at run time. A virtualenv would bake the
/// staging path into its scripts and <c>pyvenv.cfg</c>; a target directory is relocatable.
/// </summary>
internal sealed class PythonBuildpack : BuiltInBuildpack
{
    internal const string PackagesDirectory = ".python_packages";
    private const string Requirements = "requirements.txt";
    private const string PyProject = "pyproject.toml";

    // Prints [project].dependencies of pyproject.toml into a file (not stdout, which warnings share).
    private const string PyProjectDependencies = """
        import sys, tomllib
        with open(sys.argv[1], "rb") as f:
            project = tomllib.load(f).get("project", {})
        with open(sys.argv[2], "w") as out:
            out.write("\n".join(project.get("dependencies", [])) + "\n")
        """;

    public override string Name => BuildpackNames.Python;

    public override string DetectionHint => "requirements.txt/pyproject.toml/*.py (python)";

    protected override string Title => "Python Buildpack";

    internal override bool Detect(string appDirectory) =>
        File.Exists(Path.Combine(appDirectory, Requirements))
        || File.Exists(Path.Combine(appDirectory, PyProject))
        || HasFiles(appDirectory, "*.py");

    protected override async Task<BuildpackRelease> BuildAsync(BuildpackContext context, CancellationToken cancellationToken)
    {
        var environment = context.EnvironmentWith(
            ("PIP_CACHE_DIR", Path.Combine(context.CacheDirectory, "pip")),
            ("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
            ("PIP_NO_INPUT", "1"),
            ("PIP_ROOT_USER_ACTION", "ignore"),
            ("PYTHONDONTWRITEBYTECODE", "1"));
        await RequireToolAsync(context, "python3", ["--version"], "Python", environment, cancellationToken);

        var requirements = await RequirementsFileAsync(context, environment, cancellationToken);
        if (requirements is null)
        {
            context.Output.Info("No requirements to install");
        }
        else
        {
            context.Output.Step($"Installing requirements with pip ({Path.GetFileName(requirements.Source)})");
            await context.RunAsync("python3",
                ["-m", "pip", "install", "--target", PackagesDirectory, "--no-warn-script-location", "--disable-pip-version-check", "-r", requirements.File],
                new RunOptions { Environment = environment, Explain = ExplainPipFailure }, cancellationToken);
            await MakeScriptsRelocatableAsync(Path.Combine(context.AppDirectory, PackagesDirectory, "bin"), cancellationToken);
        }

        await context.WriteProfileScriptAsync("python.sh", $$"""
            # Written by Ravioli's python_buildpack: packages installed at staging live in the app directory.
            export PYTHONPATH="$HOME/{{PackagesDirectory}}${PYTHONPATH:+:$PYTHONPATH}"
            export PATH="$HOME/{{PackagesDirectory}}/bin:$PATH"
            export PYTHONUNBUFFERED="${PYTHONUNBUFFERED:-1}"

            """, cancellationToken);

        foreach (var main in new[] { "app.py", "main.py", "server.py" })
        {
            if (context.AppFileExists(main))
            {
                return BuildpackRelease.Web($"python3 {main}");
            }
        }
        return BuildpackRelease.None("python_buildpack found no start command: add a Procfile (e.g. \"web: python3 my_server.py\"), " +
            "name the entry point app.py or main.py, or set a command in the manifest.");
    }

    private sealed record RequirementsSource(string File, string Source);

    private static async Task<RequirementsSource?> RequirementsFileAsync(BuildpackContext context, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var requirements = Path.Combine(context.AppDirectory, Requirements);
        if (File.Exists(requirements))
        {
            var lines = await File.ReadAllLinesAsync(requirements, cancellationToken);
            return lines.Any(l => l.Trim() is { Length: > 0 } t && !t.StartsWith('#')) ? new RequirementsSource(Requirements, Requirements) : null;
        }
        if (!context.AppFileExists(PyProject))
        {
            return null;
        }
        var extracted = Path.Combine(context.TempDirectory, "pyproject-requirements.txt");
        var output = await context.CaptureAsync("python3", ["-c", PyProjectDependencies, PyProject, extracted],
            new RunOptions { Environment = environment, Echo = false }, cancellationToken);
        if (output.ExitCode != 0)
        {
            throw context.CommandFailed(output, "Could not read [project] dependencies from pyproject.toml (the host's Python needs tomllib, i.e. 3.11 or newer).");
        }
        var dependencies = (await File.ReadAllLinesAsync(extracted, cancellationToken)).Where(l => l.Trim().Length > 0).ToList();
        return dependencies.Count > 0 ? new RequirementsSource(extracted, PyProject) : null;
    }

    private static string? ExplainPipFailure(IReadOnlyList<string> lines)
    {
        var errors = lines.Where(l => l.StartsWith("ERROR:", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
        var summary = errors.Count > 0 ? $"pip said: {string.Join(" ", errors)}" : "pip could not install the requirements.";
        return summary + " If the package index is unreachable from this platform, vendor the packages with the app " +
            "(\"pip download -r requirements.txt -d vendor\", then list the files in vendor/ in requirements.txt).";
    }

    /// <summary>Console scripts get a shebang naming the staging interpreter's path; <c>/usr/bin/env python3</c> works anywhere.</summary>
    private static async Task MakeScriptsRelocatableAsync(string binDirectory, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(binDirectory))
        {
            return;
        }
        foreach (var script in Directory.GetFiles(binDirectory))
        {
            if (Files.SafeExtractor.IsSymlink(script) || new FileInfo(script).Length > 1024 * 1024)
            {
                continue;
            }
            var text = await File.ReadAllTextAsync(script, cancellationToken);
            if (text.StartsWith("#!", StringComparison.Ordinal) && text.IndexOf('\n', StringComparison.Ordinal) is var end and > 0
                && text[..end].Contains("python", StringComparison.Ordinal))
            {
                var mode = Files.UnixFiles.GetMode(script);
                await File.WriteAllTextAsync(script, "#!/usr/bin/env python3" + text[end..], cancellationToken);
                Files.UnixFiles.SetMode(script, mode);
            }
        }
    }
}
