using System.Net;
using System.Text.Json;
using Ravioli.Cli.Tests.Support;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests;

public sealed class EnvTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    [Fact]
    public async Task SetEnv_ThenEnv_ShowsUserProvidedVariables_AndTheTipToRestage()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "svc", new() { ["EXISTING"] = "kept" });

        var set = await rav.OkAsync("set-env", "svc", "GREETING", "s3cret value");
        var env = await rav.OkAsync("env", "svc");

        Assert.Contains($"Setting env variable GREETING for app svc in org {space.Org} / space dev as admin...", set.Out);
        Assert.Contains("TIP: Use 'rav restage svc' or 'rav restart svc' to ensure your env variable changes take effect.", set.Out);
        Assert.DoesNotContain("s3cret", set.Out);
        Assert.Contains($"Getting env variables for app svc in org {space.Org} / space dev as admin...", env.Out);
        var lines = env.Out.ReplaceLineEndings("\n").Split('\n');
        var start = Array.IndexOf(lines, "User-Provided:");
        Assert.True(start >= 0, env.Out);
        Assert.Equal(["EXISTING: kept", "GREETING: s3cret value"], lines.Skip(start + 1).Take(2));
    }

    [Fact]
    public async Task UnsetEnv_RemovesTheVariable_AndAMissingOneIsNotAnError()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "svc", new() { ["GONE"] = "soon" });

        var unset = await rav.OkAsync("unset-env", "svc", "GONE");
        var again = await rav.OkAsync("unset-env", "svc", "GONE");
        var env = await rav.OkAsync("env", "svc");

        Assert.Contains("Removing env variable GONE from app svc", unset.Out);
        Assert.Contains("TIP: Use 'rav restage svc' or 'rav restart svc'", unset.Out);
        Assert.Contains("Env variable GONE was not set.", again.Err);
        Assert.Contains("No user-provided env variables have been set.", env.Out);
    }

    [Fact]
    public async Task Env_Json_IsTheWholeEnvironment()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "svc", new() { ["A"] = "1" });

        var json = (await rav.OkAsync("env", "svc", "--json")).Json();

        Assert.Equal("1", json.GetProperty("environment_variables").GetProperty("A").GetString());
        Assert.Equal(JsonValueKind.Object, json.GetProperty("system_env_json").GetProperty("VCAP_SERVICES").ValueKind);
        Assert.Equal("svc", json.GetProperty("application_env_json").GetProperty("VCAP_APPLICATION").GetProperty("application_name").GetString());
    }

    [Fact]
    public async Task Env_WithoutBoundServices_ShowsAnEmptyVcapServicesAndVcapApplication()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "svc");

        var env = await rav.OkAsync("env", "svc");

        Assert.Contains("System-Provided:\nVCAP_SERVICES: {}\n\nVCAP_APPLICATION: {\n", env.Out.ReplaceLineEndings("\n"));
        Assert.Contains("  \"application_name\": \"svc\",", env.Out);
    }

    [Theory]
    [InlineData("PORT")]
    [InlineData("VCAP_SERVICES")]
    [InlineData("1BAD")]
    public async Task SetEnv_ANameThePlatformRefuses_FailsNamingIt(string name)
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "svc");

        var result = await rav.RunAsync("set-env", "svc", name, "x");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"var.{name}", result.Err);
        Assert.EndsWith("FAILED", result.Err.TrimEnd());
    }

    [Fact]
    public async Task Env_ForASpaceAuditor_IsRefusedBecauseEnvHoldsSecrets()
    {
        using var admin = new Rav(server);
        var space = await TestSpace.CreateAsync(admin);
        await space.CreateAppAsync(server, "svc", new() { ["TOKEN"] = "x" });
        var auditor = Names.Unique("auditor");
        await admin.OkAsync("create-user", auditor, "auditor-password");
        await admin.OkAsync("set-space-role", auditor, space.Org, "dev", "SpaceAuditor");
        using var rav = new Rav(server);
        await rav.OkAsync("login", "-a", server.BaseUrl, "-u", auditor, "-p", "auditor-password", "-o", space.Org, "-s", "dev");

        var result = await rav.RunAsync("env", "svc");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Only space developers may read an app's environment", result.Err);
        Assert.DoesNotContain("TOKEN", result.Out);
    }
}
