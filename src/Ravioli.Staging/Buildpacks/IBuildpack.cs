namespace Ravioli.Staging.Buildpacks;

/// <summary>A buildpack as the stager drives it: detect, then supply (non-final) or finalize (final).</summary>
internal interface IBuildpack
{
    string Name { get; }

    /// <summary>What detection looks for, for the "no buildpack detected" message, e.g. <c>package.json (nodejs)</c>.</summary>
    string DetectionHint { get; }

    /// <summary>False for buildpacks used only when requested (binary_buildpack).</summary>
    bool DetectsAutomatically { get; }

    Task<bool> DetectAsync(BuildpackContext context, CancellationToken cancellationToken);

    /// <summary>Contributes dependencies when another buildpack comes after this one.</summary>
    Task SupplyAsync(BuildpackContext context, CancellationToken cancellationToken);

    /// <summary>Builds the app as the last buildpack and says how to start it.</summary>
    Task<BuildpackRelease> FinalizeAsync(BuildpackContext context, CancellationToken cancellationToken);
}

/// <summary>What the final buildpack says about starting the app.</summary>
/// <param name="ProcessTypes">Default process types (<c>web</c> → command).</param>
/// <param name="MissingStartCommandHint">What to tell the user when no <c>web</c> command results.</param>
internal sealed record BuildpackRelease(IReadOnlyDictionary<string, string> ProcessTypes, string? MissingStartCommandHint = null)
{
    /// <summary>Default environment for run time (bin/release <c>config_vars</c>).</summary>
    public IReadOnlyDictionary<string, string> ConfigVars { get; init; } = new Dictionary<string, string>();

    public static BuildpackRelease Web(string command) => new(new Dictionary<string, string> { [ProcessTypeNames.Web] = command });

    public static BuildpackRelease None(string hint) => new(new Dictionary<string, string>(), hint);
}
