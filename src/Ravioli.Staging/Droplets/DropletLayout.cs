namespace Ravioli.Staging.Droplets;

/// <summary>Names inside a droplet directory, shared by the stager, the archive and the runtime.</summary>
public static class DropletLayout
{
    /// <summary>The app's files, mounted at <c>/app</c> (also <c>HOME</c> and the working directory) at run time.</summary>
    public const string AppDirectoryName = "app";

    /// <summary>Cloud Foundry's record of the staging: buildpack, start command, process types.</summary>
    public const string StagingInfoFileName = "staging_info.json";

    /// <summary>Scripts in <c>app/.profile.d</c> set up the environment before any process starts.</summary>
    public const string ProfileDirectoryName = ".profile.d";

    /// <summary>Dependencies supplied by (multi-)buildpacks, inside <c>app/</c> so they travel with it; <c>DEPS_DIR</c> points here at run time.</summary>
    public const string DepsDirectoryName = ".deps";
}
