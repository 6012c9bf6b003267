using System.Text.Json;
using Ravioli.Cli.Tests.Support;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests;

public sealed class QuotaTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    [Fact]
    public async Task CreateQuota_StoresEveryLimitInTheApisUnits()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var name = Names.Unique("quota");

        var result = await rav.OkAsync("create-quota", name, "-m", "2G", "-i", "512M", "-a", "5", "--instances", "10", "-r", "20", "-s", "unlimited", "--json");

        var quota = result.Json();
        Assert.Equal(name, quota.GetProperty("name").GetString());
        var apps = quota.GetProperty("apps");
        Assert.Equal(2048, apps.GetProperty("total_memory_in_mb").GetInt64());
        Assert.Equal(512, apps.GetProperty("per_process_memory_in_mb").GetInt64());
        Assert.Equal(5, apps.GetProperty("total_apps").GetInt64());
        Assert.Equal(10, apps.GetProperty("total_instances").GetInt64());
        Assert.Equal(20, quota.GetProperty("routes").GetProperty("total_routes").GetInt64());
        Assert.Equal(JsonValueKind.Null, quota.GetProperty("services").GetProperty("total_service_instances").ValueKind);
    }

    [Fact]
    public async Task Quotas_ListsQuotasWithReadableLimits()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var name = Names.Unique("quota");
        await rav.OkAsync("create-quota", name, "-m", "4096", "-i", "-1", "-a", "3");

        var result = await rav.OkAsync("quotas");

        Assert.Contains("default", Screen.FirstColumn(result.Out, "name"));
        Assert.Matches($@"{name}\s+4G\s+unlimited\s+", result.Out);
        var json = (await rav.OkAsync("quotas", "--json")).Json();
        Assert.Contains(name, json.EnumerateArray().Select(q => q.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task UpdateQuota_ChangesOnlyTheGivenLimits()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var name = Names.Unique("quota");
        var renamed = Names.Unique("renamed");
        await rav.OkAsync("create-quota", name, "-m", "1G", "-a", "5");

        var updated = await rav.OkAsync("update-quota", name, "-m", "3G", "-n", renamed, "--json");

        var quota = updated.Json();
        Assert.Equal(renamed, quota.GetProperty("name").GetString());
        Assert.Equal(3072, quota.GetProperty("apps").GetProperty("total_memory_in_mb").GetInt64());
        Assert.Equal(5, quota.GetProperty("apps").GetProperty("total_apps").GetInt64());
    }

    [Fact]
    public async Task UpdateQuota_Unlimited_ClearsTheLimit()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var name = Names.Unique("quota");
        await rav.OkAsync("create-quota", name, "-r", "7");

        var updated = await rav.OkAsync("update-quota", name, "-r", "unlimited", "--json");

        Assert.Equal(JsonValueKind.Null, updated.Json().GetProperty("routes").GetProperty("total_routes").ValueKind);
    }

    [Fact]
    public async Task UpdateQuota_WithNothingToChange_SaysWhatToGive()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();

        var result = await rav.RunAsync("update-quota", "default");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Nothing to change", result.Err);
    }

    [Fact]
    public async Task SetQuota_AppliesTheQuotaToTheOrg()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var name = Names.Unique("quota");
        var org = Names.Unique("org");
        var quotaGuid = (await rav.OkAsync("create-quota", name, "-m", "1G", "--json")).Json().GetProperty("guid").GetString();
        await rav.OkAsync("create-org", org);

        var result = await rav.OkAsync("set-quota", org, name);

        Assert.Contains($"Setting quota {name} to org {org} as admin...", result.Out);
        var shown = await rav.OkAsync("org", org, "--json");
        Assert.Equal(quotaGuid, shown.Json().GetProperty("relationships").GetProperty("quota").GetProperty("data").GetProperty("guid").GetString());
        Assert.Matches($@"quota:\s+{name}", (await rav.OkAsync("org", org)).Out);
    }

    [Fact]
    public async Task SetQuota_UnknownQuota_SaysHowToListQuotas()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        await rav.OkAsync("create-org", org);

        var result = await rav.RunAsync("set-quota", org, "no-such-quota");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Quota 'no-such-quota' not found. Run 'rav quotas'", result.Err);
    }

    [Theory]
    [InlineData("-m", "lots")]
    [InlineData("-i", "5X")]
    [InlineData("-a", "many")]
    [InlineData("-r", "-3")]
    public async Task CreateQuota_InvalidLimit_FailsNamingTheOption(string option, string value)
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();

        var result = await rav.RunAsync("create-quota", Names.Unique("quota"), option, value);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"'{value}'", result.Err);
    }
}
