using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ravioli.Api.Recovery;
using Ravioli.Core.Apps;
using Ravioli.Store;
using Ravioli.Store.Entities;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests;

/// <summary>What a start after a crash removes (and keeps), and how packages that never got their bits end.</summary>
public sealed class StartupRecoveryTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    private async Task<string> AppAsync(RavioliDb db)
    {
        var org = new OrganizationEntity { Name = "recovery-" + Guid.NewGuid().ToString("N")[..8] };
        var space = new SpaceEntity { Name = "dev", OrganizationGuid = org.Guid };
        var app = new AppEntity { Name = "app", SpaceGuid = space.Guid, State = AppStates.Stopped };
        db.AddRange(org, space, app);
        await db.SaveChangesAsync();
        return app.Guid;
    }

    private string WriteBlob(string key)
    {
        var path = Path.Combine(server.DataDirectory, "blobs", key[..2], key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, key);
        return path;
    }

    [Fact]
    public async Task A_start_removes_half_uploads_unnamed_blobs_and_dead_staging_directories_and_keeps_named_blobs()
    {
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
        var named = WriteBlob(new string('a', 64));
        var orphan = WriteBlob(new string('b', 64));
        db.Packages.Add(new PackageEntity { AppGuid = await AppAsync(db), State = PackageStates.Ready, BlobKey = new string('a', 64) });
        await db.SaveChangesAsync();
        var incoming = Path.Combine(server.DataDirectory, "blobs", "incoming", Guid.NewGuid().ToString("N"));
        File.WriteAllText(incoming, "half");
        var staging = Directory.CreateDirectory(Path.Combine(server.DataDirectory, "staging", Guid.NewGuid().ToString())).FullName;

        var result = await StartupRecovery.RunAsync(server.Services, CancellationToken.None);

        Assert.True(File.Exists(named));
        Assert.False(File.Exists(orphan));
        Assert.False(File.Exists(incoming));
        Assert.False(Directory.Exists(staging));
        Assert.True(result.OrphanBlobs >= 1 && result.IncomingFiles >= 1 && result.StagingDirectories >= 1, result.ToString());
    }

    [Fact]
    public async Task A_package_that_never_gets_its_bits_fails_with_a_message_after_the_expiry()
    {
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
        var appGuid = await AppAsync(db);
        var old = new PackageEntity { AppGuid = appGuid, State = PackageStates.AwaitingUpload };
        db.Packages.Add(old);
        await db.SaveChangesAsync();
        server.Time.Advance(TimeSpan.FromMinutes(61));
        var fresh = new PackageEntity { AppGuid = appGuid, State = PackageStates.AwaitingUpload };
        db.Packages.Add(fresh);
        await db.SaveChangesAsync();

        var expired = await StartupRecovery.ExpirePendingUploadsAsync(db, server.Time.GetUtcNow().UtcDateTime, TimeSpan.FromHours(1), CancellationToken.None);

        Assert.True(expired >= 1);
        var states = await db.Packages.AsNoTracking().Where(p => p.AppGuid == appGuid).ToDictionaryAsync(p => p.Guid);
        Assert.Equal(PackageStates.Failed, states[old.Guid].State);
        Assert.Contains("Push again", states[old.Guid].Error, StringComparison.Ordinal);
        Assert.Equal(PackageStates.AwaitingUpload, states[fresh.Guid].State);
    }
}
