using Ravioli.Core.Faults;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ravioli.Api.Apis;
using Ravioli.Api.Secrets;
using Ravioli.Core.Apps;
using Ravioli.Staging;
using Ravioli.Staging.Buildpacks;
using Ravioli.Staging.Droplets;
using Ravioli.Staging.Packages;
using Ravioli.Staging.Running;
using Ravioli.Store;
using Ravioli.Store.Blobs;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Builds;

/// <summary>
/// Runs builds: extracts the package, runs the buildpacks, stores the droplet. Level-triggered: at start it
/// picks up every build still STAGING (the platform stopped mid-staging) and runs it again from the package,
/// so nothing stays "in progress" forever. At most <see cref="Concurrency"/> stagings run at once.
/// </summary>
public sealed partial class StagingService(
    IServiceScopeFactory scopes, IStagingRunner runner, ILoggerFactory loggers, BlobStore blobs, SecretBox secrets, BuildLogs logs, PackageLimits limits,
    IOptions<RavioliApiOptions> options, ILogger<StagingService> logger) : BackgroundService
{
    public const int Concurrency = 2;
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>();

    public void Enqueue(string buildGuid) => _queue.Writer.TryWrite(buildGuid);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
                foreach (var guid in await db.Builds.Where(b => b.State == BuildStates.Staging).OrderBy(b => b.CreatedAt).Select(b => b.Guid).ToListAsync(stoppingToken))
                {
                    Enqueue(guid);
                }
                break;
            }
            catch (Exception e) when (StoreSetup.IsUnavailable(e))
            {
                // A hosted service that throws stops the whole host; wait for the database instead.
                LogDatabaseAway(logger, "(resuming)", e.GetBaseException().Message);
                await Task.Delay(DatabaseRetryDelay, stoppingToken);
            }
        }
        var workers = Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            await foreach (var guid in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await StageAsync(guid, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    // Left STAGING on purpose: the next start runs it again.
                    return;
                }
                catch (Exception e) when (StoreSetup.IsUnavailable(e) && !StoreSetup.IsDiskFull(e))
                {
                    // The database went away mid-staging: the build is still STAGING there, so stage it again once it is back.
                    LogDatabaseAway(logger, guid, e.GetBaseException().Message);
                    RetryLater(guid, stoppingToken);
                }
                catch (Exception e)
                {
                    try
                    {
                        if (StoreSetup.IsDiskFull(e))
                        {
                            LogDiskFull(logger, guid, e.GetBaseException().Message);
                            await FinishAsync(guid, null, "StagingError: the platform's disk is full, so the droplet could not be stored. Retry the push when the operator has freed space.", CancellationToken.None);
                        }
                        else
                        {
                            LogUnexpected(logger, guid, e);
                            await FinishAsync(guid, null, $"StagingError: the platform hit an unexpected error while staging ({e.GetType().Name}). Retry the push.", CancellationToken.None);
                        }
                    }
                    catch (Exception again)
                    {
                        // Recording the failure needs the database too. Whatever stops it, this worker must live on (a
                        // worker that dies here would stall every later push) and the build must not stay STAGING: try again later.
                        if (StoreSetup.IsUnavailable(again))
                        {
                            LogDatabaseAway(logger, guid, again.GetBaseException().Message);
                        }
                        else
                        {
                            LogUnexpected(logger, guid, again);
                        }
                        RetryLater(guid, stoppingToken);
                    }
                }
            }
        }, stoppingToken)).ToList();
        await Task.WhenAll(workers);
    }

    /// <summary>Re-queues a build after a pause; staging is idempotent (it starts from a clean work directory and only finishes a STAGING build).</summary>
    private void RetryLater(string buildGuid, CancellationToken stoppingToken) =>
        _ = Task.Delay(DatabaseRetryDelay, stoppingToken).ContinueWith(t =>
        {
            if (!t.IsCanceled)
            {
                Enqueue(buildGuid);
            }
        }, TaskScheduler.Default);

    /// <summary>How long a build whose staging met an unavailable database waits before it is staged again.</summary>
    public static readonly TimeSpan DatabaseRetryDelay = TimeSpan.FromSeconds(5);

    private async Task StageAsync(string buildGuid, CancellationToken ct)
    {
        BuildEntity build;
        AppEntity app;
        PackageEntity package;
        string? webCommand;
        BuildpackRegistry registry;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
            var found = await db.Builds.AsNoTracking().FirstOrDefaultAsync(b => b.Guid == buildGuid, ct);
            if (found is null || found.State != BuildStates.Staging)
            {
                return;
            }
            build = found;
            app = await db.Apps.AsNoTracking().FirstAsync(a => a.Guid == build.AppGuid, ct);
            package = await db.Packages.AsNoTracking().FirstAsync(p => p.Guid == build.PackageGuid, ct);
            webCommand = await db.Processes.Where(p => p.AppGuid == app.Guid && p.Type == ProcessLimits.WebType).Select(p => p.Command).FirstOrDefaultAsync(ct);
            registry = RegistryFor(await db.Buildpacks.AsNoTracking().ToListAsync(ct));
        }

        // Staging directories are bound into the staging sandbox, whose uid must be able to reach them.
        var runtime = Core.Security.RuntimeDirectory.For(options.Value.DataDirectory);
        var work = Path.Combine(Core.Security.DataDirectory.EnsureTraversable(Path.Combine(runtime, "staging")), buildGuid);
        var cache = Path.Combine(Core.Security.DataDirectory.EnsureTraversable(Path.Combine(runtime, "cache")), app.Guid);
        if (Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }
        var source = Path.Combine(work, "source");
        await using var log = logs.OpenWriter(buildGuid);
        void Log(string line)
        {
            try
            {
                log.WriteLine(line);
                logs.AppendStaging(app.Guid, line);
            }
            catch (IOException e) when (StoreSetup.IsDiskFull(e))
            {
                // A full disk loses log lines; the build's error still says why it failed.
            }
        }
        try
        {
            Log($"Staging {app.Name} (build {buildGuid})");
            await AppPackage.ExtractAsync(blobs.PathOf(package.BlobKey!), source, limits, ct);
            // Mid-staging: the build is STAGING, its work directory and possibly a sandbox exist; the next start stages it again.
            FaultPoints.Reach("staging.started");
            var stager = new Stager(registry, runner, logger: loggers.CreateLogger<Stager>());
            var env = app.EnvironmentVariables.Length == 0 ? [] : JsonSerializer.Deserialize<Dictionary<string, string>>(secrets.Open(app.EnvironmentVariables)) ?? [];
            var archive = Path.Combine(work, "droplet.tgz");
            var result = await stager.StageAsync(new StagingRequest
            {
                SourceDirectory = source,
                WorkDirectory = Path.Combine(work, "build"),
                Buildpacks = JsonSerializer.Deserialize<List<string>>(build.Buildpacks) ?? [],
                Environment = env,
                CacheDirectory = cache,
                StartCommand = webCommand,
                DropletArchivePath = archive,
                Timeout = options.Value.StagingTimeout,
            }, Log, ct);
            var (sha, size) = await blobs.PutFileAsync(archive, ct);
            // The droplet's blob is stored, no row names it and the build is still STAGING: a crash orphans the blob.
            FaultPoints.Reach("staging.droplet-stored");
            Log($"Uploaded droplet ({size / 1024} KiB)");
            await FinishAsync(buildGuid, new DropletEntity
            {
                AppGuid = app.Guid,
                PackageGuid = package.Guid,
                BuildGuid = buildGuid,
                State = DropletStates.Staged,
                BlobKey = sha,
                Buildpack = result.Buildpack,
                ProcessTypes = JsonSerializer.Serialize(result.ProcessTypes),
            }, null, ct);
        }
        catch (StagingFailedException e)
        {
            Log($"Staging failed: {e.Message}");
            await FinishAsync(buildGuid, null, $"{e.Reason}: {e.Message}", ct);
        }
        catch (ArchiveRejectedException e)
        {
            Log($"Staging failed: {e.Message}");
            await FinishAsync(buildGuid, null, $"InvalidPackage: {e.Message}", ct);
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    /// <summary>Records the outcome in one transaction: the droplet (if any), the build's state, and the pruning of old droplets.</summary>
    private async Task FinishAsync(string buildGuid, DropletEntity? droplet, string? error, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
        var build = await db.Builds.FirstOrDefaultAsync(b => b.Guid == buildGuid, ct);
        // Only a STAGING build is finished, so a second attempt (after a database outage) cannot overwrite an outcome.
        if (build is null || build.State != BuildStates.Staging)
        {
            return;
        }
        if (droplet is not null)
        {
            db.Droplets.Add(droplet);
            build.DropletGuid = droplet.Guid;
            build.State = BuildStates.Staged;
            var app = await db.Apps.AsNoTracking().FirstAsync(a => a.Guid == build.AppGuid, ct);
            var old = await db.Droplets.Where(d => d.AppGuid == build.AppGuid && d.State == DropletStates.Staged && d.Guid != app.CurrentDropletGuid)
                .OrderByDescending(d => d.CreatedAt).Skip(DropletsApi.Kept - 1).ToListAsync(ct);
            foreach (var expired in old)
            {
                expired.State = DropletStates.Expired;
            }
        }
        else
        {
            build.State = BuildStates.Failed;
            build.Error = error;
        }
        await db.SaveChangesAsync(ct);
        FaultPoints.Reach(droplet is null ? "staging.failed" : "staging.staged");
        logs.Complete(buildGuid);
    }

    /// <summary>The built-ins plus the enabled, uploaded operator buildpacks at their positions: what detection walks.</summary>
    public BuildpackRegistry RegistryFor(IEnumerable<BuildpackEntity> operatorBuildpacks) =>
        operatorBuildpacks
            .Where(b => b.Enabled && b.BlobKey != null && Directory.Exists(BuildpackDirectory(b.Guid)))
            .OrderBy(b => b.Position).ThenBy(b => b.CreatedAt)
            .Aggregate(BuildpackRegistry.Default, (r, b) => r.WithBuildpack(b.Name, BuildpackDirectory(b.Guid), b.Position));

    public string BuildpackDirectory(string buildpackGuid) => Path.Combine(options.Value.DataDirectory, "buildpacks", buildpackGuid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Staging build {Build} met an unavailable database ({Reason}); it is staged again shortly")]
    private static partial void LogDatabaseAway(ILogger logger, string build, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Staging build {Build} failed: the disk is full ({Reason})")]
    private static partial void LogDiskFull(ILogger logger, string build, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Staging build {Build} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, string build, Exception exception);
}

/// <summary>
/// Staging output per build, in files under DATA/logs/builds, so a log outlives the process that wrote it
/// and readers can follow it while staging runs.
/// </summary>
public sealed class BuildLogs(IOptions<RavioliApiOptions> options)
{
    private readonly string _directory = Directory.CreateDirectory(Path.Combine(options.Value.DataDirectory, "logs", "builds")).FullName;
    private readonly string _apps = Directory.CreateDirectory(Path.Combine(options.Value.DataDirectory, "logs", "apps")).FullName;
    private readonly Lock _stagingGate = new();

    public string PathOf(string buildGuid) => Path.Combine(_directory, buildGuid + ".log");

    public StreamWriter OpenWriter(string buildGuid) =>
        new(new FileStream(PathOf(buildGuid), FileMode.Append, FileAccess.Write, FileShare.ReadWrite), new UTF8Encoding(false)) { AutoFlush = true };

    /// <summary>
    /// The app's staging lines with their time, for `rav logs` (source STG). NDJSON per app, kept to its last
    /// lines so it stays small however often the app is pushed.
    /// </summary>
    public void AppendStaging(string appGuid, string line)
    {
        var path = StagingPathOf(appGuid);
        lock (_stagingGate)
        {
            File.AppendAllText(path, JsonSerializer.Serialize(new StagingLine(DateTimeOffset.UtcNow, line)) + "\n");
            if (new FileInfo(path).Length > 1024 * 1024)
            {
                var keep = File.ReadLines(path).TakeLast(1000).ToList();
                File.WriteAllLines(path + ".tmp", keep);
                File.Move(path + ".tmp", path, overwrite: true);
            }
        }
    }

    public string StagingPathOf(string appGuid) => Path.Combine(_apps, appGuid + ".stg.ndjson");

    public sealed record StagingLine(DateTimeOffset Timestamp, string Message);

    /// <summary>Marks the log finished, for followers that only look at the file.</summary>
    public void Complete(string buildGuid) => File.AppendAllText(PathOf(buildGuid) + ".done", "");

    public bool IsComplete(string buildGuid) => File.Exists(PathOf(buildGuid) + ".done");
}
