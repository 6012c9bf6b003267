namespace Ravioli.Staging.Buildpacks.BuiltIn;

/// <summary>Files embedded in this assembly that built-in buildpacks copy into droplets.</summary>
internal static class Assets
{
    public const string StaticFileServer = "staticfile-server.js";
    public const string JavaLauncher = "java-start.sh";

    public static async Task WriteAsync(string name, string destination, bool executable, CancellationToken cancellationToken)
    {
        await using var resource = typeof(Assets).Assembly.GetManifestResourceStream("Ravioli.Staging.Assets." + name)
            ?? throw new InvalidOperationException($"Embedded asset {name} is missing from the build.");
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        await using (var file = File.Create(destination))
        {
            await resource.CopyToAsync(file, cancellationToken);
        }
        Files.UnixFiles.SetMode(destination, executable ? (UnixFileMode)0x1ED : (UnixFileMode)0x1A4);
    }
}
