using System.Net;
using System.Text.Json;
using Ravioli.Cli.Tests.Support;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests;

public sealed class RouteTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    [Fact]
    public async Task CreateRoute_IsListedByRoutes_AndCreatingItAgainIsNotAnError()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var host = Names.Unique("shop");

        var created = await rav.OkAsync("create-route", "apps.localhost", "--hostname", host, "--path", "store");
        var again = await rav.OkAsync("create-route", "apps.localhost", "-n", host, "--path", "/store/");
        var routes = await rav.OkAsync("routes");

        Assert.Contains($"Creating route {host}.apps.localhost/store for org {space.Org} / space dev as admin...", created.Out);
        Assert.Contains($"Route {host}.apps.localhost/store already exists.", again.Err);
        Assert.Contains($"Getting routes for org {space.Org} / space dev as admin...", routes.Out);
        Assert.Matches(@"host\s+domain\s+path\s+apps", routes.Out);
        Assert.Matches($@"(?m)^{host}\s+apps\.localhost\s+/store$", routes.Out);
    }

    [Fact]
    public async Task MapRoute_CreatesTheRouteWhenMissing_AndUnmapRouteLeavesTheRoute()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var app = await space.CreateAppAsync(server, "svc");
        var host = Names.Unique("svc");

        var mapped = await rav.OkAsync("map-route", "svc", "apps.localhost", "--hostname", host);
        var twice = await rav.OkAsync("map-route", "svc", "apps.localhost", "--hostname", host);
        var listed = await rav.OkAsync("routes");
        var unmapped = await rav.OkAsync("unmap-route", "svc", "apps.localhost", "--hostname", host);
        var after = await rav.OkAsync("routes");

        Assert.Contains($"Mapping route {host}.apps.localhost to app svc in org {space.Org} / space dev as admin...", mapped.Out);
        Assert.Contains($"Created route {host}.apps.localhost.", mapped.Out);
        Assert.DoesNotContain("Created route", twice.Out);
        Assert.Matches($@"(?m)^{host}\s+apps\.localhost\s+svc$", listed.Out);
        Assert.Contains($"Removing route {host}.apps.localhost from app svc", unmapped.Out);
        Assert.Matches($@"(?m)^{host}\s+apps\.localhost$", after.Out);
        using var admin = await server.AdminClientAsync();
        Assert.Equal(0, (await admin.GetJsonAsync($"/v3/apps/{app}/routes")).Expect(HttpStatusCode.OK).GetProperty("resources").GetArrayLength());
    }

    [Fact]
    public async Task UnmapRoute_NotMapped_Warns_AndMissingRoute_Fails()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "svc");
        var host = Names.Unique("free");
        await rav.OkAsync("create-route", "apps.localhost", "--hostname", host);

        var notMapped = await rav.OkAsync("unmap-route", "svc", "apps.localhost", "--hostname", host);
        var missing = await rav.RunAsync("unmap-route", "svc", "apps.localhost", "--hostname", Names.Unique("none"));

        Assert.Contains($"Route {host}.apps.localhost is not mapped to app svc.", notMapped.Err);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("does not exist. Run 'rav routes'", missing.Err);
    }

    [Fact]
    public async Task DeleteRoute_RemovesIt_AndAMissingOneIsNotAnError()
    {
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);
        var host = Names.Unique("old");
        await rav.OkAsync("create-route", "apps.localhost", "--hostname", host);

        var refused = await rav.RunAsync("delete-route", "apps.localhost", "--hostname", host);
        var deleted = await rav.OkAsync("delete-route", "apps.localhost", "--hostname", host, "-f");
        var again = await rav.OkAsync("delete-route", "apps.localhost", "--hostname", host, "-f");

        Assert.Contains("Re-run with -f to confirm.", refused.Err);
        Assert.Contains($"Deleting route {host}.apps.localhost", deleted.Out);
        Assert.Contains("No routes found.", (await rav.OkAsync("routes")).Out);
        Assert.Contains($"Unable to delete. Route {host}.apps.localhost does not exist.", again.Err);
    }

    [Fact]
    public async Task CreateRoute_TakenByAnotherSpace_SaysSoAndSuggestsARandomRoute()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var host = Names.Unique("taken");
        await rav.OkAsync("create-space", "other", "-o", space.Org);
        await rav.OkAsync("target", "-s", "other");
        await rav.OkAsync("create-route", "apps.localhost", "--hostname", host);
        await rav.OkAsync("target", "-s", "dev");

        var result = await rav.RunAsync("create-route", "apps.localhost", "--hostname", host);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"Route {host}.apps.localhost is already taken by another space.", result.Err);
        Assert.Contains("--random-route", result.Err);
    }

    [Fact]
    public async Task MapRoute_TakenInASpaceTheUserCannotSee_SaysSoToo()
    {
        using var admin = new Rav(server);
        await TestSpace.CreateAsync(admin);
        var host = Names.Unique("hidden");
        await admin.OkAsync("create-route", "apps.localhost", "--hostname", host);
        var developer = Names.Unique("dev");
        await admin.OkAsync("create-user", developer, "developer-password");
        var mine = await TestSpaceFor(admin, developer);
        using var rav = new Rav(server);
        await rav.OkAsync("login", "-a", server.BaseUrl, "-u", developer, "-p", "developer-password", "-o", mine.Org, "-s", "dev");
        await mine.CreateAppAsync(server, "svc");

        var result = await rav.RunAsync("map-route", "svc", "apps.localhost", "--hostname", host);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"Route {host}.apps.localhost is already taken by another space.", result.Err);
    }

    [Fact]
    public async Task Domains_ListSharedAndPrivateDomains()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var shared = $"{Names.Unique("shared")}.example.com";
        var mine = $"{Names.Unique("private")}.example.com";

        var createdShared = await rav.OkAsync("create-shared-domain", shared);
        var createdPrivate = await rav.OkAsync("create-domain", space.Org, mine);
        var again = await rav.OkAsync("create-domain", space.Org, mine);
        var domains = await rav.OkAsync("domains");

        Assert.Contains($"Creating shared domain {shared} as admin...", createdShared.Out);
        Assert.Contains($"Creating private domain {mine} for org {space.Org} as admin...", createdPrivate.Out);
        Assert.Contains($"Domain {mine} already exists.", again.Err);
        Assert.Matches(@"name\s+availability\s+org", domains.Out);
        Assert.Matches(@"(?m)^apps\.localhost\s+shared$", domains.Out);
        Assert.Matches($@"(?m)^{shared.Replace(".", "\\.")}\s+shared$", domains.Out);
        Assert.Matches($@"(?m)^{mine.Replace(".", "\\.")}\s+private\s+{space.Org}$", domains.Out);
    }

    [Fact]
    public async Task PrivateDomain_RoutesWithoutAHost_Work()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "svc");
        var domain = $"{Names.Unique("apex")}.example.com";
        await rav.OkAsync("create-domain", space.Org, domain);

        await rav.OkAsync("map-route", "svc", domain);
        var routes = await rav.OkAsync("routes");

        Assert.Matches($@"(?m)^\s+{domain.Replace(".", "\\.")}\s+svc$", routes.Out);
    }

    [Fact]
    public async Task CreateSharedDomain_ByANonAdmin_FailsWithTheServersReason()
    {
        using var admin = new Rav(server);
        await admin.LoginAsAdminAsync();
        var user = Names.Unique("plain");
        await admin.OkAsync("create-user", user, "plain-password");
        using var rav = new Rav(server);
        await rav.OkAsync("login", "-a", server.BaseUrl, "-u", user, "-p", "plain-password");

        var result = await rav.RunAsync("create-shared-domain", $"{Names.Unique("x")}.example.com");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("admins", result.Err);
    }

    [Fact]
    public async Task CreateRoute_OnAnUnknownDomain_SaysWhereToLook()
    {
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);

        var result = await rav.RunAsync("create-route", "nope.example.com", "--hostname", "x");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Domain 'nope.example.com' not found. Run 'rav domains'", result.Err);
    }

    [Fact]
    public async Task Routes_Json_IsTheArrayOfRoutes()
    {
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);
        var host = Names.Unique("j");
        await rav.OkAsync("create-route", "apps.localhost", "--hostname", host);

        var json = (await rav.OkAsync("routes", "--json")).Json();

        Assert.Equal($"{host}.apps.localhost", Assert.Single(json.EnumerateArray()).GetProperty("url").GetString());
    }

    /// <summary>An org and "dev" space where <paramref name="username"/> is a space developer (and the admin is not targeted at it).</summary>
    private async Task<TestSpace> TestSpaceFor(Rav admin, string username)
    {
        var org = Names.Unique("org");
        await admin.OkAsync("create-org", org);
        await admin.OkAsync("create-space", "dev", "-o", org);
        await admin.OkAsync("set-space-role", username, org, "dev", "SpaceDeveloper");
        using var client = await server.AdminClientAsync();
        var orgGuid = (await client.GetJsonAsync($"/v3/organizations?names={org}")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        var spaceGuid = (await client.GetJsonAsync($"/v3/spaces?names=dev&organization_guids={orgGuid}")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        return new TestSpace(org, "dev", spaceGuid);
    }
}
