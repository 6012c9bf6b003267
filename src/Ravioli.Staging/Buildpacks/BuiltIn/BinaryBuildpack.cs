namespace Ravioli.Staging.Buildpacks.BuiltIn;

/// <summary>Runs what the app ships as is; used only when chosen with <c>-b binary_buildpack</c>.</summary>
internal sealed class BinaryBuildpack : BuiltInBuildpack
{
    public override string Name => BuildpackNames.Binary;

    public override string DetectionHint => "-b binary_buildpack";

    public override bool DetectsAutomatically => false;

    protected override string Title => "Binary Buildpack";

    internal override bool Detect(string appDirectory) => false;

    protected override Task<BuildpackRelease> BuildAsync(BuildpackContext context, CancellationToken cancellationToken)
    {
        context.Output.Info("Nothing to build: the app runs as pushed");
        return Task.FromResult(BuildpackRelease.None(
            "binary_buildpack needs a start command: add a Procfile (e.g. \"web: ./my-server\") or set a command in the manifest (command: ./my-server)."));
    }
}
