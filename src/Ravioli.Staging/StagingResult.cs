namespace Ravioli.Staging;

/// <summary>A staged droplet: the output of <see cref="Stager.StageAsync"/>.</summary>
/// <param name="Buildpack">The buildpack that produced the start command (the last one).</param>
/// <param name="Buildpacks">Every buildpack that ran, in order (more than one for multi-buildpack stagings).</param>
/// <param name="ProcessTypes">Process type → shell command (<c>web</c> always present).</param>
/// <param name="DropletDirectory">Holds <c>app/</c> (mounted at <c>/app</c> at run time) and <c>staging_info.json</c>.</param>
/// <param name="DropletArchivePath">The packed droplet, when the request asked for one.</param>
public sealed record StagingResult(
    string Buildpack,
    IReadOnlyList<string> Buildpacks,
    IReadOnlyDictionary<string, string> ProcessTypes,
    string DropletDirectory,
    string? DropletArchivePath)
{
    /// <summary>The command of the <c>web</c> process.</summary>
    public string StartCommand => ProcessTypes[ProcessTypeNames.Web];

    /// <summary>The droplet's <c>app/</c> directory.</summary>
    public string AppDirectory => Path.Combine(DropletDirectory, Droplets.DropletLayout.AppDirectoryName);
}
