namespace Ravioli.Staging;

/// <summary>What to stage and where: the input of <see cref="Stager.StageAsync"/>.</summary>
public sealed record StagingRequest
{
    /// <summary>The default time limit of a staging, as in Cloud Foundry.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(15);

    /// <summary>The app's files, already extracted and validated. Staging reads it and never changes it.</summary>
    public required string SourceDirectory { get; init; }

    /// <summary>
    /// A directory owned by this staging (created if missing). The droplet is built in
    /// <c>droplet/</c> inside it; everything else there is scratch space.
    /// </summary>
    public required string WorkDirectory { get; init; }

    /// <summary>
    /// Buildpacks chosen by the user (<c>-b</c>, manifest <c>buildpacks:</c>), in order: all but the last
    /// only supply dependencies. Empty means detect one. Chosen buildpacks skip detection, as in Cloud Foundry.
    /// </summary>
    public IReadOnlyList<string> Buildpacks { get; init; } = [];

    /// <summary>The app's environment variables, visible to buildpacks during staging.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Staging fails with <see cref="StagingFailureReason.Timeout"/> after this long. Default 15 minutes.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>
    /// A directory kept between stagings of the same app (npm cache, GOCACHE, NuGet packages, pip's cache).
    /// Null means a throwaway one inside <see cref="WorkDirectory"/>.
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>
    /// The app's own start command (manifest <c>command:</c>), if set. It becomes the <c>web</c> process
    /// type, ahead of the Procfile and the buildpack's default, as in Cloud Foundry.
    /// </summary>
    public string? StartCommand { get; init; }

    /// <summary>If set, the droplet is also packed into this .tgz file (see <see cref="Droplets.DropletArchive"/>).</summary>
    public string? DropletArchivePath { get; init; }
}
