using System.Text.RegularExpressions;

namespace Ravioli.Staging.Buildpacks.BuiltIn;

/// <summary>
/// Builds a Go module with the host's toolchain into a static binary (<c>CGO_ENABLED=0</c>,
/// <c>-trimpath</c>), so the droplet runs wherever it is mounted. Modules come only from the app's
/// vendor directory or the cache: staging has no module proxy.
/// </summary>
internal sealed partial class GoBuildpack : BuiltInBuildpack
{
    private const string GoMod = "go.mod";

    public override string Name => BuildpackNames.Go;

    public override string DetectionHint => "go.mod (go)";

    protected override string Title => "Go Buildpack";

    internal override bool Detect(string appDirectory) => File.Exists(Path.Combine(appDirectory, GoMod));

    protected override async Task<BuildpackRelease> BuildAsync(BuildpackContext context, CancellationToken cancellationToken)
    {
        if (!context.AppFileExists(GoMod))
        {
            throw context.Fail("the app has no go.mod at its root. Run \"go mod init <module>\" in the app, or choose another buildpack.");
        }
        var vendored = Directory.Exists(Path.Combine(context.AppDirectory, "vendor"));
        var environment = context.EnvironmentWith(
            ("GOPATH", Path.Combine(context.CacheDirectory, "gopath")),
            ("GOCACHE", Path.Combine(context.CacheDirectory, "go-build")),
            ("GOFLAGS", vendored ? "-mod=vendor" : "-mod=mod"),
            ("GOPROXY", "off"),
            ("GOSUMDB", "off"),
            ("GOTOOLCHAIN", "local"),
            ("CGO_ENABLED", "0"));
        await RequireToolAsync(context, "go", ["version"], "Go", environment, cancellationToken);

        var module = ModuleLine().Match(await File.ReadAllTextAsync(Path.Combine(context.AppDirectory, GoMod), cancellationToken));
        var binary = BinaryName(module.Success ? module.Groups["path"].Value : "");
        var packages = context.AppEnvironment.TryGetValue("GO_INSTALL_PACKAGE_SPEC", out var spec) && !string.IsNullOrWhiteSpace(spec)
            ? spec.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : ["."];

        context.Output.Step($"Building {(module.Success ? module.Groups["path"].Value : "the module")} into bin/{binary}");
        await context.RunAsync("go", ["build", "-trimpath", "-o", "bin/" + binary, .. packages],
            new RunOptions { Environment = environment, Explain = ExplainGoFailure }, cancellationToken);
        return BuildpackRelease.Web("./bin/" + binary);
    }

    private static string? ExplainGoFailure(IReadOnlyList<string> lines) =>
        lines.Any(l => l.Contains("GOPROXY=off", StringComparison.Ordinal) || l.Contains("module lookup disabled", StringComparison.Ordinal))
            ? "Staging has no Go module proxy: vendor the dependencies (\"go mod vendor\") and push the vendor directory."
            : null;

    /// <summary>What <c>go build</c> itself would call the binary: the module path's last element, skipping a /vN suffix.</summary>
    internal static string BinaryName(string modulePath)
    {
        var parts = modulePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var name = parts.Length switch
        {
            0 => "app",
            > 1 when MajorVersion().IsMatch(parts[^1]) => parts[^2],
            _ => parts[^1],
        };
        name = SafeName().Replace(name, "_");
        return name.Length == 0 || name.StartsWith('.') ? "app" : name;
    }

    [GeneratedRegex(@"^\s*module\s+""?(?<path>[^\s""]+)""?", RegexOptions.Multiline)]
    private static partial Regex ModuleLine();

    [GeneratedRegex(@"^v[0-9]+$")]
    private static partial Regex MajorVersion();

    [GeneratedRegex(@"[^A-Za-z0-9._-]")]
    private static partial Regex SafeName();
}
