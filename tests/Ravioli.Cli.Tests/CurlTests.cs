using System.Text.Json;
using Ravioli.Cli.Tests.Support;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests;

public sealed class CurlTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    [Fact]
    public async Task Curl_Get_PrintsTheAnswerAsIndentedJson()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();

        var result = await rav.OkAsync("curl", "/v3/organizations");

        Assert.True(result.Json().TryGetProperty("resources", out _));
        Assert.Contains("\n  \"pagination\"", result.Out.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Curl_PostWithBody_CreatesTheResource()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");

        var result = await rav.OkAsync("curl", "/v3/organizations", "-X", "POST", "-d", $$"""{"name": "{{org}}"}""", "-H", "Content-Type: application/json");

        Assert.Equal(org, result.Json().GetProperty("name").GetString());
        Assert.Contains(org, Screen.FirstColumn((await rav.OkAsync("orgs")).Out, "name"));
    }

    [Fact]
    public async Task Curl_BodyFromFile_IsSent()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        var file = Path.Combine(rav.Home, "body.json");
        await File.WriteAllTextAsync(file, $$"""{"name": "{{org}}"}""");

        var result = await rav.OkAsync("curl", "/v3/organizations", "-d", $"@{file}");

        Assert.Equal(org, result.Json().GetProperty("name").GetString());
    }

    [Fact]
    public async Task Curl_ErrorStatus_PrintsTheProblemAndExitsOne()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();

        var result = await rav.RunAsync("curl", "/v3/organizations/00000000-0000-0000-0000-000000000000");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(404, result.Json().GetProperty("status").GetInt32());
        Assert.Contains("404", result.Err);
    }

    [Fact]
    public async Task Curl_Json_PrintsCompactJson()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();

        var result = await rav.OkAsync("curl", "/", "--json");

        Assert.Equal(JsonValueKind.Object, result.Json().ValueKind);
        Assert.Single(result.Out.Trim().Split('\n'));
    }
}
