using Ravioli.Staging.Droplets;
using Ravioli.Staging.Files;

namespace Ravioli.Staging.Buildpacks;

/// <summary>Installs an operator's buildpack from its uploaded .zip (Cloud Foundry's <c>cf create-buildpack</c> format).</summary>
public static class BuildpackPackage
{
    /// <summary>The default cap on a buildpack's unpacked size: 2 GiB (some bundle their runtimes).</summary>
    public const long DefaultMaxExtractedBytes = 2L * 1024 * 1024 * 1024;

    /// <summary>
    /// Unpacks <paramref name="zipFile"/> into <paramref name="targetDirectory"/> (replacing what was there)
    /// and returns that directory. Entries are checked like a droplet's (no <c>..</c>, absolute paths, or
    /// escaping symlinks; a size cap). A zip whose only top-level entry is a directory holding
    /// <c>bin/detect</c> (as GitHub's downloads are) is unwrapped. The <c>bin/</c> scripts are made executable.
    /// </summary>
    /// <exception cref="ArchiveRejectedException">The zip is unsafe, not a zip, or is not a buildpack.</exception>
    public static async Task<string> InstallAsync(string zipFile, string targetDirectory, long maxExtractedBytes = DefaultMaxExtractedBytes, CancellationToken cancellationToken = default) =>
        await InstallAsync(zipFile, targetDirectory, maxExtractedBytes, int.MaxValue, cancellationToken);

    /// <summary>As above, refusing a zip of more than <paramref name="maxEntries"/> entries (each would be a file on disk).</summary>
    public static async Task<string> InstallAsync(string zipFile, string targetDirectory, long maxExtractedBytes, int maxEntries, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(zipFile);
        ArgumentException.ThrowIfNullOrWhiteSpace(targetDirectory);
        var target = Path.GetFullPath(targetDirectory).TrimEnd('/');
        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var unpacking = Path.Combine(parent, $".{Path.GetFileName(target)}.unpacking-{Guid.NewGuid():N}");
        var replaced = Path.Combine(parent, $".{Path.GetFileName(target)}.replaced-{Guid.NewGuid():N}");
        var name = $"Buildpack zip {Path.GetFileName(zipFile)}";
        try
        {
            var extractor = new SafeExtractor(unpacking, name, maxExtractedBytes);
            await ZipExtraction.ExtractAsync(zipFile, name, extractor, maxEntries, cancellationToken);
            extractor.Complete();

            var root = FindBuildpackRoot(unpacking)
                ?? throw new ArchiveRejectedException($"{name} is not a buildpack: it has no bin/detect (at its root or in its single top-level directory).");
            foreach (var script in Directory.EnumerateFiles(Path.Combine(root, "bin")))
            {
                if (!SafeExtractor.IsSymlink(script))
                {
                    // Zips made on Windows carry no modes; Cloud Foundry makes the scripts runnable too.
                    UnixFiles.MakeExecutable(script);
                }
            }

            if (Directory.Exists(target) || File.Exists(target))
            {
                Directory.Move(target, replaced);
            }
            Directory.Move(root, target);
            return target;
        }
        finally
        {
            FileTree.Delete(unpacking);
            FileTree.Delete(replaced);
        }
    }

    private static string? FindBuildpackRoot(string unpacked)
    {
        if (IsBuildpack(unpacked))
        {
            return unpacked;
        }
        var entries = Directory.GetFileSystemEntries(unpacked);
        return entries.Length == 1 && Directory.Exists(entries[0]) && !SafeExtractor.IsSymlink(entries[0]) && IsBuildpack(entries[0])
            ? entries[0]
            : null;
    }

    internal static bool IsBuildpack(string directory) =>
        File.Exists(Path.Combine(directory, "bin", "detect")) && !SafeExtractor.IsSymlink(Path.Combine(directory, "bin"));
}
