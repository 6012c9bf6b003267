using System.Net;
using System.Text.Json;
using Ravioli.Cli.Tests.Support;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests;

/// <summary>Service brokers, plan access and the marketplace, against the real control plane and a real broker.</summary>
public sealed class ServiceBrokerTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    [Fact]
    public async Task CreateServiceBroker_IsListed_AndItsPlansStayDisabledUntilEnabled()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);
        var name = Names.Unique("broker");

        var created = await rav.OkAsync("create-service-broker", name, TestBroker.Username, TestBroker.Password, broker.Url);
        var brokers = await rav.OkAsync("service-brokers");
        var access = await rav.OkAsync("service-access", "-b", name);
        var marketplace = await rav.OkAsync("marketplace", "-e", broker.Offering);

        Assert.Contains($"Creating service broker {name} as admin...", created.Out);
        Assert.Contains($"TIP: Its plans are disabled until you enable them: 'rav service-access -b {name}'", created.Out);
        Assert.NotEmpty(broker.RequestsTo("GET", "/v2/catalog"));
        Assert.Matches(@"name\s+url\s+space", brokers.Out);
        Assert.Matches($@"(?m)^{name}\s+{Regex(broker.Url)}$", brokers.Out);
        Assert.Contains($"Getting service access for broker {name} as admin...", access.Out);
        Assert.Contains($"broker: {name}", access.Out);
        Assert.Matches(@"(?m)^   offering\s+plan\s+access\s+orgs$", access.Out);
        Assert.Matches($@"(?m)^   {broker.Offering}\s+small\s+none$", access.Out);
        Assert.Contains($"No service offering '{broker.Offering}' found.", marketplace.Out);
    }

    [Fact]
    public async Task EnableServiceAccess_ForOneOrg_ThenAll_AndDisableServiceAccess_TakesItBack()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var name = await BrokerSetup.RegisterAsync(rav, broker, enableAccess: false);

        var forOrg = await rav.OkAsync("enable-service-access", broker.Offering, "-p", "small", "-o", space.Org);
        var limited = await rav.OkAsync("service-access", "-e", broker.Offering);
        var forAll = await rav.OkAsync("enable-service-access", broker.Offering);
        var again = await rav.OkAsync("enable-service-access", broker.Offering, "-p", "small", "-o", space.Org);
        var notFromPublic = await rav.RunAsync("disable-service-access", broker.Offering, "-o", space.Org);
        var disabled = await rav.OkAsync("disable-service-access", broker.Offering, "-p", "large");
        var json = (await rav.OkAsync("service-access", "-b", name, "--json")).Json();

        Assert.Contains($"Enabling access to plan small of service offering {broker.Offering} for org {space.Org} as admin...", forOrg.Out);
        Assert.Matches($@"(?m)^   {broker.Offering}\s+small\s+limited\s+{space.Org}$", limited.Out);
        Assert.Matches($@"(?m)^   {broker.Offering}\s+large\s+none$", limited.Out);
        Assert.Contains($"Enabling access to all plans of service offering {broker.Offering} for all orgs as admin...", forAll.Out);
        Assert.Contains("Did not update plan small as it already has visibility to all orgs.", again.Err);
        Assert.Equal(1, notFromPublic.ExitCode);
        Assert.Contains("Cannot remove organization level access for public plans", notFromPublic.Err);
        Assert.Contains($"Disabling access to plan large of service offering {broker.Offering} for all orgs as admin...", disabled.Out);
        var visibility = json.EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("visibility").GetProperty("type").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["small"] = "public", ["large"] = "admin", ["slow"] = "public", ["flaky"] = "public" }, visibility);
    }

    [Fact]
    public async Task DisableServiceAccess_ForTheLastOrg_LeavesThePlanToAdmins()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker, enableAccess: false);
        await rav.OkAsync("enable-service-access", broker.Offering, "-p", "small", "-o", space.Org);

        var disabled = await rav.OkAsync("disable-service-access", broker.Offering, "-p", "small", "-o", space.Org);
        var access = await rav.OkAsync("service-access", "-e", broker.Offering, "-o", space.Org);

        Assert.Contains($"Disabling access to plan small of service offering {broker.Offering} for org {space.Org} as admin...", disabled.Out);
        Assert.Contains("No service plans found.", access.Out);
    }

    [Fact]
    public async Task Marketplace_ListsOfferingsWithTheirPlans_AndDashE_ShowsEachPlan()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var name = await BrokerSetup.RegisterAsync(rav, broker);

        var all = await rav.OkAsync("marketplace");
        var plans = await rav.OkAsync("m", "-e", broker.Offering);
        var json = (await rav.OkAsync("marketplace", "-b", name, "--json")).Json();

        Assert.Contains($"Getting all service offerings from marketplace in org {space.Org} / space dev as admin...", all.Out);
        Assert.Matches(@"(?m)^offering\s+plans\s+description\s+broker$", all.Out);
        Assert.Matches($@"(?m)^{broker.Offering}\s+{FourPlans}\s+Test databases for Ravioli's tests\s+{name}$", all.Out);
        Assert.Contains("TIP: Use 'rav marketplace -e SERVICE_OFFERING' to view descriptions of individual plans of a given service offering.", all.Out);
        Assert.Contains($"Getting service plan information for service offering {broker.Offering} in org {space.Org} / space dev as admin...", plans.Out);
        Assert.Contains($"broker: {name}", plans.Out);
        Assert.Matches(@"(?m)^   plan\s+description\s+free or paid\s+costs\s+available$", plans.Out);
        Assert.Matches(@"(?m)^   small\s+A small database, made at once\s+free\s+yes$", plans.Out);
        Assert.Matches(@"(?m)^   large\s+A large database, made in the background\s+paid\s+USD 12\.50/MONTHLY\s+yes$", plans.Out);
        var offering = Assert.Single(json.EnumerateArray());
        Assert.Equal(broker.Offering, offering.GetProperty("name").GetString());
        Assert.Equal(["flaky", "large", "slow", "small"], offering.GetProperty("plans").EnumerateArray().Select(p => p.GetProperty("name").GetString()).Order());
    }

    [Fact]
    public async Task Marketplace_ForADeveloper_ShowsOnlyPlansEnabledForTheirOrg()
    {
        await using var broker = await TestBroker.StartAsync();
        using var admin = new Rav(server);
        var space = await TestSpace.CreateAsync(admin);
        await BrokerSetup.RegisterAsync(admin, broker, enableAccess: false);
        await admin.OkAsync("enable-service-access", broker.Offering, "-p", "large", "-o", space.Org);
        var developer = Names.Unique("dev");
        await admin.OkAsync("create-user", developer, "developer-password");
        await admin.OkAsync("set-space-role", developer, space.Org, "dev", "SpaceDeveloper");
        using var rav = new Rav(server);
        await rav.OkAsync("login", "-a", server.BaseUrl, "-u", developer, "-p", "developer-password", "-o", space.Org, "-s", "dev");

        var plans = await rav.OkAsync("marketplace", "-e", broker.Offering);
        var brokers = await rav.OkAsync("service-brokers");

        Assert.Matches(@"(?m)^   large\s", plans.Out);
        Assert.DoesNotMatch(@"(?m)^   small\s", plans.Out);
        Assert.Contains("No service brokers found.", brokers.Out);
    }

    [Fact]
    public async Task CreateServiceBroker_SpaceScoped_OffersItsPlansInThatSpaceOnly()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var name = Names.Unique("mine");

        var created = await rav.OkAsync("create-service-broker", name, TestBroker.Username, TestBroker.Password, broker.Url, "--space-scoped");
        var brokers = await rav.OkAsync("service-brokers");
        var marketplace = await rav.OkAsync("marketplace");
        var enable = await rav.OkAsync("enable-service-access", broker.Offering, "-p", "small");
        await rav.OkAsync("create-space", "other", "-o", space.Org);
        await rav.OkAsync("target", "-s", "other");
        var elsewhere = await rav.OkAsync("marketplace");

        Assert.Contains($"Creating service broker {name} in org {space.Org} / space dev as admin...", created.Out);
        Assert.Matches($@"(?m)^{name}\s+\S+\s+{space.Org} / dev$", brokers.Out);
        Assert.Matches($@"(?m)^{broker.Offering}\s+{FourPlans}\s", marketplace.Out);
        Assert.Contains("it belongs to a space-scoped broker", enable.Err);
        Assert.DoesNotContain(broker.Offering, elsewhere.Out);
    }

    [Fact]
    public async Task UpdateAndRenameServiceBroker_KeepItsOfferings()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);
        var name = await BrokerSetup.RegisterAsync(rav, broker);
        var renamed = Names.Unique("renamed");
        var catalogReads = broker.RequestsTo("GET", "/v2/catalog").Count();

        var updated = await rav.OkAsync("update-service-broker", name, TestBroker.Username, TestBroker.Password, broker.Url + "/");
        var wrongPassword = await rav.RunAsync("update-service-broker", name, TestBroker.Username, "wrong", broker.Url);
        var rename = await rav.OkAsync("rename-service-broker", name, renamed);
        var brokers = await rav.OkAsync("service-brokers", "--json");
        var marketplace = await rav.OkAsync("marketplace", "-b", renamed);

        Assert.Contains($"Updating service broker {name} as admin...", updated.Out);
        Assert.Equal(catalogReads + 2, broker.RequestsTo("GET", "/v2/catalog").Count());
        Assert.Equal(1, wrongPassword.ExitCode);
        Assert.Contains("401", wrongPassword.Err);
        Assert.Contains($"Renaming service broker {name} to {renamed} as admin...", rename.Out);
        Assert.Contains(renamed, brokers.Json().EnumerateArray().Select(b => b.GetProperty("name").GetString()));
        Assert.Contains(broker.Offering, marketplace.Out);
    }

    [Fact]
    public async Task CreateServiceBroker_ThatCannotBeReached_FailsNamingTheUrl_AndABadUrlFailsBeforeAnyRequest()
    {
        var fake = new FakeEndpoints();
        using var rav = new Rav(server, fake);
        await TestSpace.CreateAsync(rav);
        var url = $"http://127.0.0.1:{Screen.ClosedPort()}";

        var unreachable = await rav.RunAsync("create-service-broker", Names.Unique("gone"), "u", "p", url);
        var before = fake.Requests.Count;
        var badUrl = await rav.RunAsync("create-service-broker", Names.Unique("bad"), "u", "p", "broker.example.com");

        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains(url, unreachable.Err);
        Assert.Equal(1, badUrl.ExitCode);
        Assert.Contains("Invalid broker URL 'broker.example.com'. Give an http or https URL", badUrl.Err);
        Assert.Equal(before, fake.Requests.Count);
    }

    [Fact]
    public async Task DeleteServiceBroker_AsksFirst_IsRefusedWhileInstancesExist_AndPurgeForgetsThem()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);
        var name = await BrokerSetup.RegisterAsync(rav, broker);
        await rav.OkAsync("create-service", broker.Offering, "small", "kept-db", "--wait");

        var unconfirmed = await rav.RunAsync("delete-service-broker", name);
        var refused = await rav.RunAsync("delete-service-broker", name, "-f");
        rav.Input = "n\n";
        var cancelled = await rav.OkAsync("delete-service-broker", name, "--purge");
        rav.Input = "y\n";
        var purged = await rav.OkAsync("delete-service-broker", name, "--purge");
        rav.Input = null;
        var gone = await rav.OkAsync("delete-service-broker", name, "-f");
        var services = await rav.OkAsync("services");

        Assert.Equal(1, unconfirmed.ExitCode);
        Assert.Contains($"Really delete the service broker {name}? Not asking because input is not a terminal. Re-run with -f to confirm.", unconfirmed.Err);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"Service broker '{name}' still has 1 service instance(s): kept-db.", refused.Err);
        Assert.Contains("Delete cancelled.", cancelled.Out);
        Assert.Contains($"Really purge the service broker {name}", purged.Out);
        Assert.Contains($"Purging service broker {name} as admin...", purged.Out);
        Assert.Contains($"Service broker {name} does not exist.", gone.Err);
        Assert.Contains("No services found.", services.Out);
        Assert.DoesNotContain(broker.Requests, r => r.Method == "DELETE");
    }

    [Fact]
    public async Task CreateServiceBroker_Json_IsTheBroker()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);
        var name = Names.Unique("json");

        var json = (await rav.OkAsync("create-service-broker", name, TestBroker.Username, TestBroker.Password, broker.Url, "--json")).Json();

        Assert.Equal(name, json.GetProperty("name").GetString());
        Assert.Equal(broker.Url, json.GetProperty("url").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("relationships").GetProperty("space").GetProperty("data").ValueKind);
        Assert.False(json.TryGetProperty("authentication", out _));
        using var admin = await server.AdminClientAsync();
        (await admin.GetJsonAsync($"/v3/service_brokers/{json.GetProperty("guid").GetString()}")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task BrokerAndAccessCommands_Json_AreTheResourcesTheyChanged()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);
        var name = await BrokerSetup.RegisterAsync(rav, broker, enableAccess: false);
        var renamed = Names.Unique("renamed");

        var updated = (await rav.OkAsync("update-service-broker", name, TestBroker.Username, TestBroker.Password, broker.Url, "--json")).Json();
        var rename = (await rav.OkAsync("rename-service-broker", name, renamed, "--json")).Json();
        var enabled = (await rav.OkAsync("enable-service-access", broker.Offering, "-p", "small", "--json")).Json();
        var disabled = (await rav.OkAsync("disable-service-access", broker.Offering, "--json")).Json();
        var deleted = (await rav.OkAsync("delete-service-broker", renamed, "-f", "--json")).Json();
        var brokers = await rav.OkAsync("service-brokers");

        Assert.Equal(name, updated.GetProperty("name").GetString());
        Assert.Equal(renamed, rename.GetProperty("name").GetString());
        var plan = Assert.Single(enabled.EnumerateArray());
        Assert.Equal("small", plan.GetProperty("name").GetString());
        Assert.Equal("public", plan.GetProperty("visibility").GetProperty("type").GetString());
        Assert.All(disabled.EnumerateArray(), p => Assert.Equal("admin", p.GetProperty("visibility_type").GetString()));
        Assert.Equal(4, disabled.GetArrayLength());
        Assert.Equal(rename.GetProperty("guid").GetString(), deleted.GetProperty("guid").GetString());
        Assert.DoesNotContain(renamed, brokers.Out);
    }

    /// <summary>The broker's four plans, in whatever order the API lists plans made in the same instant.</summary>
    private const string FourPlans = "(small|large|slow|flaky), (small|large|slow|flaky), (small|large|slow|flaky), (small|large|slow|flaky)";

    private static string Regex(string text) => System.Text.RegularExpressions.Regex.Escape(text);
}
