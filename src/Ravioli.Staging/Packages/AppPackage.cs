using System.IO.Compression;
using Ravioli.Staging.Droplets;
using Ravioli.Staging.Files;

namespace Ravioli.Staging.Packages;

/// <summary>Limits on an uploaded app zip; each has a documented default (docs/api.md, Packages).</summary>
public sealed record PackageLimits
{
    public long MaxUploadBytes { get; init; } = 1L << 30;
    public int MaxEntries { get; init; } = 100_000;
    public long MaxExpandedBytes { get; init; } = 4L << 30;

    /// <summary>Expanded size over compressed size, for archives big enough that a bomb matters (see <see cref="RatioAppliesAboveBytes"/>).</summary>
    public int MaxExpansionRatio { get; init; } = 100;

    /// <summary>Small archives may compress very well (a page of zeros); the ratio is checked above this expanded size.</summary>
    public long RatioAppliesAboveBytes { get; init; } = 64L << 20;
}

/// <summary>What an accepted package holds.</summary>
public sealed record PackageSummary(int Entries, long ExpandedBytes);

/// <summary>
/// The app bits a developer uploads (`rav push`): a zip, checked before it is kept and extracted safely
/// before staging. Checking reads the zip's directory (sizes, names, link targets) and each entry's header
/// (so an unknown compression method is refused at once), but decompresses nothing; extraction counts real
/// bytes again, since a crafted zip can declare sizes it does not have, and refuses a broken stream then.
/// </summary>
public static class AppPackage
{
    /// <summary>Checks the zip without extracting it; throws <see cref="ArchiveRejectedException"/> naming the first bad entry.</summary>
    public static async Task<PackageSummary> InspectAsync(string zipFile, PackageLimits limits, CancellationToken cancellationToken = default)
    {
        var compressed = new FileInfo(zipFile).Length;
        await using var file = new FileStream(zipFile, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        var zip = await ZipExtraction.OpenAsync(file, e => $"The upload is not a valid zip archive ({e.Message}). Upload the app directory as a .zip.", cancellationToken);
        await using (zip)
        {
            if (zip.Entries.Count > limits.MaxEntries)
            {
                throw new ArchiveRejectedException($"The upload has {zip.Entries.Count} entries; at most {limits.MaxEntries} are allowed. Exclude what the app does not need with .cfignore.");
            }
            // Only its name checks are used; it writes nothing into the scratch root it insists on.
            var scratch = Path.Combine(Path.GetTempPath(), "ravioli-inspect-" + Guid.NewGuid().ToString("N"));
            var checker = new SafeExtractor(scratch, "The upload", long.MaxValue);
            Directory.Delete(scratch);
            long expanded = 0;
            foreach (var entry in zip.Entries)
            {
                var relative = checker.Normalize(entry.FullName);
                expanded += entry.Length;
                if (expanded > limits.MaxExpandedBytes)
                {
                    throw new ArchiveRejectedException($"The upload expands to more than {limits.MaxExpandedBytes} bytes (at entry '{entry.FullName}'); that is over the limit.");
                }
                // Opening decompresses nothing, but finds what staging could not read: an unknown method, a missing header.
                await ZipExtraction.CheckReadableAsync(entry, "The upload", cancellationToken);
                if (ZipExtraction.IsSymlink(entry))
                {
                    var target = await ZipExtraction.ReadSymlinkTargetAsync(entry, "The upload", cancellationToken);
                    if (!SafeExtractor.SymlinkStaysInside(relative, target))
                    {
                        throw new ArchiveRejectedException($"The upload was rejected: entry '{entry.FullName}' is a symlink to '{target}', outside the app directory.");
                    }
                }
            }
            if (expanded > limits.RatioAppliesAboveBytes && expanded / Math.Max(1, compressed) > limits.MaxExpansionRatio)
            {
                throw new ArchiveRejectedException($"The upload expands {expanded / Math.Max(1, compressed)}:1 ({compressed} bytes to {expanded}); more than {limits.MaxExpansionRatio}:1 looks like a zip bomb and is refused.");
            }
            return new PackageSummary(zip.Entries.Count, expanded);
        }
    }

    /// <summary>Extracts into <paramref name="directory"/> under the same rules, counting the bytes really written.</summary>
    public static async Task ExtractAsync(string zipFile, string directory, PackageLimits limits, CancellationToken cancellationToken = default)
    {
        var extractor = new SafeExtractor(directory, "The app package", limits.MaxExpandedBytes);
        await ZipExtraction.ExtractAsync(zipFile, "The app package", extractor, cancellationToken);
        extractor.Complete();
    }
}
