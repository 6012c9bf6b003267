using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Ravioli.Api.Apis;
using Ravioli.Core.Apps;
using Ravioli.Store;
using Ravioli.Store.Blobs;
using Ravioli.Store.Entities;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests.Support;

/// <summary>A fresh org and space targeted by a logged-in admin, and ways to put apps in it.</summary>
internal sealed record TestSpace(string Org, string Space, string SpaceGuid)
{
    public static async Task<TestSpace> CreateAsync(Rav rav)
    {
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        await rav.OkAsync("create-org", org);
        await rav.OkAsync("create-space", "dev", "-o", org);
        await rav.OkAsync("target", "-o", org, "-s", "dev");
        var spaceGuid = rav.ReadConfig()["space"]!["guid"]!.GetValue<string>();
        return new TestSpace(org, "dev", spaceGuid);
    }

    /// <summary>Creates an app through the API (rav has no create-app; push creates apps) and returns its guid.</summary>
    public async Task<string> CreateAppAsync(RavioliServerFixture server, string name, Dictionary<string, string>? environment = null)
    {
        using var admin = await server.AdminClientAsync();
        var app = (await admin.PostJsonAsync("/v3/apps", new
        {
            name,
            relationships = new { space = new { data = new { guid = SpaceGuid } } },
            environment_variables = environment ?? [],
        })).Expect(HttpStatusCode.Created);
        return app.Guid();
    }
}

/// <summary>Puts a staged droplet in place the way the stager leaves one, for platforms where nothing stages yet.</summary>
internal static class Droplets
{
    public static async Task<string> PlantAsync(
        RavioliServerFixture server, string appGuid, bool makeCurrent = true, string processTypes = "{\"web\":\"./server.sh\"}", string buildpack = "binary_buildpack")
    {
        using var scope = server.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
        var blobs = scope.ServiceProvider.GetRequiredService<BlobStore>();
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "droplet-" + Guid.NewGuid());
        var (sha, _) = await blobs.PutFileAsync(file, default);
        File.Delete(file);
        var droplet = new DropletEntity { AppGuid = appGuid, State = DropletStates.Staged, BlobKey = sha, Buildpack = buildpack, ProcessTypes = processTypes };
        db.Droplets.Add(droplet);
        if (makeCurrent)
        {
            await DropletsApi.MakeCurrentAsync(db, db.Apps.Single(a => a.Guid == appGuid), droplet, default);
        }

        await db.SaveChangesAsync();
        return droplet.Guid;
    }
}
