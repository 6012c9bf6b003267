using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ravioli.Store;
using Ravioli.Store.Blobs;

namespace Ravioli.Api.Recovery;

/// <summary>
/// What a start after a crash (SIGKILL, power cut) puts right before the API listens, level-triggered: it compares
/// the blob store and the staging directories with the database and removes what no row explains. Nothing is
/// under way yet (no upload, no staging), so everything found is left over from the process that died.
/// One control plane per data directory (as `./ravioli up` runs it); replicas sharing a database would need a grace period.
/// Builds still STAGING are not touched here: <see cref="Builds.StagingService"/> stages them again.
/// </summary>
public static partial class StartupRecovery
{
    public sealed record Result(int IncomingFiles, int OrphanBlobs, int StagingDirectories);

    public static async Task<Result> RunAsync(IServiceProvider services, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
        var blobs = scope.ServiceProvider.GetRequiredService<BlobStore>();
        var options = scope.ServiceProvider.GetRequiredService<IOptions<RavioliApiOptions>>().Value;
        var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StartupRecovery));

        // An upload or a droplet copy cut off mid-stream: a temporary file no one will commit.
        var incoming = 0;
        foreach (var file in blobs.IncomingFiles())
        {
            incoming += Sweep(logger, file, () => File.Delete(file));
        }

        // A blob committed under its key whose row was never saved (killed between the rename and the commit, e.g. at
        // push.bits-stored or staging.droplet-stored). Content-addressed, so a key any row names is never removed.
        var named = new HashSet<string>(StringComparer.Ordinal);
        named.UnionWith(await db.Packages.Where(p => p.BlobKey != null).Select(p => p.BlobKey!).ToListAsync(ct));
        named.UnionWith(await db.Droplets.Where(d => d.BlobKey != null).Select(d => d.BlobKey!).ToListAsync(ct));
        named.UnionWith(await db.Buildpacks.Where(b => b.BlobKey != null).Select(b => b.BlobKey!).ToListAsync(ct));
        var orphans = 0;
        foreach (var key in blobs.Keys().Where(k => !named.Contains(k)).ToList())
        {
            orphans += Sweep(logger, key, () => blobs.Delete(key));
        }

        // Work directories of stagings that died with the process (a STAGING build gets a fresh one when it is staged again).
        var stagingRoot = Path.Combine(Core.Security.RuntimeDirectory.For(options.DataDirectory), "staging");
        var staging = 0;
        if (Directory.Exists(stagingRoot))
        {
            foreach (var directory in Directory.EnumerateDirectories(stagingRoot))
            {
                staging += Sweep(logger, directory, () => Directory.Delete(directory, recursive: true));
            }
        }

        var result = new Result(incoming, orphans, staging);
        if (incoming + orphans + staging > 0)
        {
            LogSwept(logger, incoming, orphans, staging);
        }
        return result;
    }

    /// <summary>
    /// Removes one leftover; 1 if it went. One that will not go (a file the sandbox's uid made read-only, an I/O error)
    /// is logged and left for the next start: the sweep must never keep the control plane from starting after the
    /// very crash it cleans up after.
    /// </summary>
    private static int Sweep(ILogger logger, string what, Action remove)
    {
        try
        {
            remove();
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogSweepFailed(logger, what, e.Message);
            return 0;
        }
    }

    /// <summary>
    /// Fails packages that waited for their bits longer than <paramref name="expiry"/>, with a message that says what to do.
    /// An upload that is under way sets READY when it ends, whatever this wrote meanwhile; an hour is far longer than any upload.
    /// </summary>
    public static async Task<int> ExpirePendingUploadsAsync(RavioliDb db, DateTime now, TimeSpan expiry, CancellationToken ct)
    {
        var cutoff = now - expiry;
        var stale = await db.Packages.Where(p => p.State == Core.Apps.PackageStates.AwaitingUpload && p.CreatedAt < cutoff).ToListAsync(ct);
        foreach (var package in stale)
        {
            package.State = Core.Apps.PackageStates.Failed;
            package.Error = $"PackageUploadExpired: no bits arrived within {expiry.TotalMinutes:0} minutes of creating the package (an interrupted push?). Push again.";
        }
        await db.SaveChangesAsync(ct);
        return stale.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recovered from an unclean stop: removed {Incoming} unfinished upload(s), {Orphans} blob(s) no row names, {Staging} staging work director(ies)")]
    private static partial void LogSwept(ILogger logger, int incoming, int orphans, int staging);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove {What} left by an unclean stop ({Reason}); trying again at the next start")]
    private static partial void LogSweepFailed(ILogger logger, string what, string reason);
}
