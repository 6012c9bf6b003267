using System.Net.Http.Json;
using System.Text.Json;
using Ravioli.Cli.Tests.Support;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests;

public sealed class OrgAndSpaceTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    [Fact]
    public async Task CreateOrg_IsListedByOrgs_AndDeleteOrgRemovesIt()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");

        var created = await rav.OkAsync("create-org", org);
        var listed = await rav.OkAsync("orgs");
        var deleted = await rav.OkAsync("delete-org", org, "-f");
        var after = await rav.OkAsync("orgs");

        Assert.Contains($"Creating org {org} as admin...", created.Out);
        Assert.Contains("OK", created.Out);
        Assert.Contains(org, Screen.FirstColumn(listed.Out, "name"));
        Assert.Contains($"Deleting org {org} as admin...", deleted.Out);
        Assert.DoesNotContain(org, Screen.FirstColumn(after.Out, "name"));
    }

    [Fact]
    public async Task CreateOrg_ThatExists_SucceedsSayingSo()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        await rav.OkAsync("create-org", org);

        var again = await rav.OkAsync("create-org", org);

        Assert.Contains("already exists", again.Err);
    }

    [Fact]
    public async Task CreateOrg_NameTooLong_ShowsTheFieldErrorWithoutAStackTrace()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();

        var result = await rav.RunAsync("create-org", new string('x', 300));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("name", result.Err);
        Assert.Contains("255", result.Err);
        Assert.Contains("FAILED", result.Err);
        Assert.DoesNotMatch(@"(?m)^\s+at \S+\(", result.Err);
    }

    [Fact]
    public async Task CreateOrg_ByNonAdmin_FailsWithTheServersReason()
    {
        using var admin = new Rav(server);
        await admin.LoginAsAdminAsync();
        var username = Names.Unique("plain");
        await admin.OkAsync("create-user", username, "plain-user-pass");
        using var rav = new Rav(server);
        await rav.OkAsync("login", "-a", server.BaseUrl, "-u", username, "-p", "plain-user-pass");

        var result = await rav.RunAsync("create-org", Names.Unique("org"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("admin", result.Err);
    }

    [Fact]
    public async Task DeleteOrg_WithoutForceWhenInputIsNotATerminal_RefusesAndKeepsTheOrg()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        await rav.OkAsync("create-org", org);

        var result = await rav.RunAsync("delete-org", org);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Re-run with -f to confirm.", result.Err);
        Assert.Contains(org, Screen.FirstColumn((await rav.OkAsync("orgs")).Out, "name"));
    }

    [Fact]
    public async Task DeleteOrg_ThatDoesNotExist_SucceedsSayingSo()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();

        var result = await rav.OkAsync("delete-org", Names.Unique("gone"), "-f");

        Assert.Contains("does not exist", result.Err);
    }

    [Fact]
    public async Task DeleteOrg_ThatIsTargeted_ClearsTheTarget()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        await rav.OkAsync("create-org", org);
        await rav.OkAsync("target", "-o", org);

        await rav.OkAsync("delete-org", org, "-f");

        Assert.Null(rav.ReadConfig()["organization"]);
    }

    [Fact]
    public async Task CreateSpace_InTheTargetedOrg_IsListedBySpaces_AndDeleteSpaceRemovesIt()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        var space = Names.Unique("space");
        await rav.OkAsync("create-org", org);
        await rav.OkAsync("target", "-o", org);

        var created = await rav.OkAsync("create-space", space);
        var listed = await rav.OkAsync("spaces");
        await rav.OkAsync("delete-space", space, "-f");
        var after = await rav.OkAsync("spaces");

        Assert.Contains($"Creating space {space} in org {org} as admin...", created.Out);
        Assert.Equal([space], Screen.FirstColumn(listed.Out, "name"));
        Assert.DoesNotContain(space, after.Out.Split('\n').Select(l => l.Trim()));
    }

    [Fact]
    public async Task CreateSpace_WithOrgOption_UsesThatOrgInsteadOfTheTarget()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var targeted = Names.Unique("org");
        var other = Names.Unique("org");
        var space = Names.Unique("space");
        await rav.OkAsync("create-org", targeted);
        await rav.OkAsync("create-org", other);
        await rav.OkAsync("target", "-o", targeted);

        await rav.OkAsync("create-space", space, "-o", other);

        Assert.DoesNotContain(space, (await rav.OkAsync("spaces")).Out);
        await rav.OkAsync("target", "-o", other);
        Assert.Contains(space, Screen.FirstColumn((await rav.OkAsync("spaces")).Out, "name"));
    }

    [Fact]
    public async Task DeleteSpace_WithOrgOption_DeletesFromThatOrg()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        var space = Names.Unique("space");
        await rav.OkAsync("create-org", org);
        await rav.OkAsync("create-space", space, "-o", org);

        await rav.OkAsync("delete-space", space, "-o", org, "-f");

        var target = await rav.RunAsync("target", "-o", org, "-s", space);
        Assert.Equal(1, target.ExitCode);
    }

    [Fact]
    public async Task Orgs_Json_IsOneArrayOfEveryOrgAcrossAllPages()
    {
        using var admin = new Rav(server);
        await admin.LoginAsAdminAsync();
        var names = new[] { Names.Unique("paged"), Names.Unique("paged"), Names.Unique("paged") };
        foreach (var name in names)
        {
            await admin.OkAsync("create-org", name);
        }

        using var handler = new SmallPagesHandler();
        using var rav = new Rav(server, handler);
        await rav.LoginAsAdminAsync();
        var before = handler.ListRequests;

        var result = await rav.OkAsync("orgs", "--json");

        var orgs = result.Json();
        Assert.Equal(JsonValueKind.Array, orgs.ValueKind);
        var listed = orgs.EnumerateArray().Select(o => o.GetProperty("name").GetString()!).ToList();
        Assert.Superset(names.ToHashSet(), listed.ToHashSet());
        Assert.Equal(listed.Count, listed.Distinct().Count());
        Assert.True(handler.ListRequests - before >= listed.Count, $"{listed.Count} orgs came in {handler.ListRequests - before} requests");
        using var http = await server.AdminClientAsync();
        var total = (await http.GetFromJsonAsync<JsonElement>("/v3/organizations?per_page=1")).GetProperty("pagination").GetProperty("total_results").GetInt32();
        Assert.Equal(total, listed.Count);
    }

    [Fact]
    public async Task CreateOrg_Json_PrintsOnlyTheNewOrg()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");

        var result = await rav.OkAsync("create-org", org, "--json");

        var json = result.Json();
        Assert.Equal(org, json.GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("guid").GetString()));
        Assert.DoesNotContain("Creating", result.Out);
    }

    [Fact]
    public async Task Org_ShowsItsQuotaAndSpaces()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        var space = Names.Unique("space");
        await rav.OkAsync("create-org", org);
        await rav.OkAsync("create-space", space, "-o", org);

        var result = await rav.OkAsync("org", org);
        var json = (await rav.OkAsync("org", org, "--json")).Json();

        Assert.Matches(@"quota:\s+default", result.Out);
        Assert.Matches($@"spaces:\s+{space}", result.Out);
        Assert.Equal(org, json.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Spaces_Json_IsAnArrayOfTheOrgsSpaces()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        await rav.OkAsync("create-org", org);
        await rav.OkAsync("create-space", "one", "-o", org);
        await rav.OkAsync("create-space", "two", "-o", org);
        await rav.OkAsync("target", "-o", org);

        var result = await rav.OkAsync("spaces", "--json");

        Assert.Equal(["one", "two"], result.Json().EnumerateArray().Select(s => s.GetProperty("name").GetString()).Order());
    }

    [Fact]
    public async Task Apps_InAnEmptySpace_SaysNoAppsFound()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        await rav.OkAsync("create-org", org);
        await rav.OkAsync("create-space", "only", "-o", org);
        await rav.OkAsync("target", "-o", org, "-s", "only");

        var text = await rav.OkAsync("apps");
        var json = await rav.OkAsync("apps", "--json");

        Assert.Contains("No apps found.", text.Out);
        Assert.Equal(0, json.Json().GetArrayLength());
    }

    [Fact]
    public async Task Apps_ListsTheAppsOfTheTargetedSpace()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        await rav.OkAsync("create-org", org);
        await rav.OkAsync("create-space", "only", "-o", org);
        await rav.OkAsync("target", "-o", org, "-s", "only");
        await rav.OkAsync("set-space-role", "admin", org, "only", "SpaceDeveloper");
        var spaceGuid = rav.ReadConfig()["space"]!["guid"]!.GetValue<string>();
        await rav.OkAsync("curl", "/v3/apps", "-d", """{"name": "web", "relationships": {"space": {"data": {"guid": "GUID"}}}}""".Replace("GUID", spaceGuid, StringComparison.Ordinal));

        var result = await rav.OkAsync("apps");

        Assert.Matches(@"web\s+stopped", result.Out);
    }
}
