using System.Net;
using Ravioli.Cli.Tests.Support;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests;

public sealed class SessionTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    [Fact]
    public async Task Login_GoodPassword_SavesTokensAndGreetsTheUser()
    {
        using var rav = new Rav(server);

        var result = await rav.LoginAsAdminAsync();

        Assert.Contains("Authenticated as admin.", result.Out);
        var config = rav.ReadConfig();
        Assert.Equal(server.BaseUrl, config["api_url"]!.GetValue<string>());
        Assert.Equal("admin", config["username"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(config["access_token"]?.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(config["refresh_token"]?.GetValue<string>()));
    }

    [Fact]
    public async Task Login_WrongPassword_ExitsOneWithAClearMessageAndNoSession()
    {
        using var admin = new Rav(server);
        await admin.LoginAsAdminAsync();
        var username = Names.Unique("wrongpw");
        await admin.OkAsync("create-user", username, "right-password-1");
        using var rav = new Rav(server);

        var result = await rav.RunAsync("login", "-a", server.BaseUrl, "-u", username, "-p", "wrong-password-1");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Login failed", result.Err);
        Assert.Contains("Check the username and password", result.Err);
        Assert.DoesNotMatch(@"(?m)^\s+at \S+\(", result.Err);
        Assert.DoesNotContain("Authenticated", result.Out);
        Assert.False(File.Exists(rav.ConfigPath));
    }

    [Fact]
    public async Task Login_AfterTooManyFailures_SaysWhenToTryAgain()
    {
        using var admin = new Rav(server);
        await admin.LoginAsAdminAsync();
        var username = Names.Unique("locked");
        await admin.OkAsync("create-user", username, "right-password-1");
        using var rav = new Rav(server);
        for (var i = 0; i < 5; i++)
        {
            await rav.RunAsync("login", "-a", server.BaseUrl, "-u", username, "-p", "wrong-password-1");
        }

        var result = await rav.RunAsync("login", "-a", server.BaseUrl, "-u", username, "-p", "right-password-1");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Try again in", result.Err);
        Assert.DoesNotContain("Login failed", result.Err);
    }

    [Fact]
    public async Task Login_PasswordFromRavPasswordVariable_LogsIn()
    {
        using var rav = new Rav(server);
        rav.Variables["RAV_PASSWORD"] = server.AdminPassword;

        var result = await rav.OkAsync("login", "-a", server.BaseUrl, "-u", "admin");

        Assert.Contains("Authenticated as admin.", result.Out);
    }

    [Fact]
    public async Task Login_NoPasswordAndNoTerminal_FailsSayingHowToGiveOne()
    {
        using var rav = new Rav(server);

        var result = await rav.RunAsync("login", "-a", server.BaseUrl, "-u", "admin");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("RAV_PASSWORD", result.Err);
    }

    [Fact]
    public async Task Login_WithOrgAndSpace_TargetsThem()
    {
        using var admin = new Rav(server);
        await admin.LoginAsAdminAsync();
        var org = Names.Unique("org");
        var space = Names.Unique("space");
        await admin.OkAsync("create-org", org);
        await admin.OkAsync("create-space", space, "-o", org);
        using var rav = new Rav(server);

        var result = await rav.LoginAsAdminAsync("-o", org, "-s", space);

        Assert.Matches($@"org:\s+{org}", result.Out);
        Assert.Matches($@"space:\s+{space}", result.Out);
        Assert.Equal(org, rav.ReadConfig()["organization"]!["name"]!.GetValue<string>());
        Assert.Equal(space, rav.ReadConfig()["space"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Login_UserWithOneOrgAndOneSpace_TargetsThemWithoutBeingAsked()
    {
        using var admin = new Rav(server);
        await admin.LoginAsAdminAsync();
        var username = Names.Unique("dev");
        var org = Names.Unique("org");
        var space = Names.Unique("space");
        await admin.OkAsync("create-user", username, "developer-pass-1");
        await admin.OkAsync("create-org", org);
        await admin.OkAsync("create-space", space, "-o", org);
        await admin.OkAsync("set-space-role", username, org, space, "SpaceDeveloper");
        using var rav = new Rav(server);

        var result = await rav.OkAsync("login", "-a", server.BaseUrl, "-u", username, "-p", "developer-pass-1");

        Assert.Contains($"Authenticated as {username}.", result.Out);
        Assert.Matches($@"org:\s+{org}", result.Out);
        Assert.Matches($@"space:\s+{space}", result.Out);
    }

    [Fact]
    public async Task Logout_RevokesTheRefreshTokenAndForgetsTheTokens()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var refreshToken = rav.ReadConfig()["refresh_token"]!.GetValue<string>();

        await rav.OkAsync("logout");

        var config = rav.ReadConfig();
        Assert.Null(config["access_token"]);
        Assert.Null(config["refresh_token"]);
        Assert.Equal(server.BaseUrl, config["api_url"]!.GetValue<string>());
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        using var refresh = await http.PostAsync(
            "/oauth/token",
            new FormUrlEncodedContent([new("grant_type", "refresh_token"), new("refresh_token", refreshToken)]));
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
        var orgs = await rav.RunAsync("orgs");
        Assert.Equal(1, orgs.ExitCode);
        Assert.Contains("Not logged in. Run 'rav login -a URL -u USER'.", orgs.Err);
    }

    [Fact]
    public async Task ConfigFile_IsReadableByItsOwnerOnly()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(rav.ConfigPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(rav.Home));
        Assert.Equal(["config.json"], Directory.GetFiles(rav.Home).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ExpiredAccessToken_IsRefreshedSilentlyAndBothTokensAreSaved()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var config = rav.ReadConfig();
        var oldRefresh = config["refresh_token"]!.GetValue<string>();
        var expired = Tokens.WithExpiry(config["access_token"]!.GetValue<string>(), DateTimeOffset.UtcNow.AddHours(-1));
        config["access_token"] = expired;
        rav.WriteConfig(config);

        var result = await rav.OkAsync("orgs");

        Assert.Empty(result.Err);
        var saved = rav.ReadConfig();
        Assert.NotEqual(expired, saved["access_token"]!.GetValue<string>());
        Assert.True(Tokens.Expiry(saved["access_token"]!.GetValue<string>()) > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.NotEqual(oldRefresh, saved["refresh_token"]!.GetValue<string>());
        await rav.OkAsync("orgs");
    }

    [Fact]
    public async Task AccessTokenRejectedBeforeItsExpiry_IsRefreshedAndTheRequestRetried()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var config = rav.ReadConfig();
        var oldRefresh = config["refresh_token"]!.GetValue<string>();
        var tampered = Tokens.WithExpiry(config["access_token"]!.GetValue<string>(), DateTimeOffset.UtcNow.AddHours(1));
        config["access_token"] = tampered;
        rav.WriteConfig(config);

        var result = await rav.OkAsync("orgs", "--json");

        Assert.Equal(System.Text.Json.JsonValueKind.Array, result.Json().ValueKind);
        var saved = rav.ReadConfig();
        Assert.NotEqual(tampered, saved["access_token"]!.GetValue<string>());
        Assert.NotEqual(oldRefresh, saved["refresh_token"]!.GetValue<string>());
    }

    [Fact]
    public async Task AccessTokenExpiredByTheServersClock_IsRefreshedAndTheRequestRetried()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var oldAccess = rav.ReadConfig()["access_token"]!.GetValue<string>();

        // rav's clock still thinks the token is fresh, so only the server's 401 can trigger the refresh.
        server.Time.Advance(TimeSpan.FromMinutes(21));
        var result = await rav.OkAsync("orgs");

        Assert.Contains("Getting orgs as admin...", result.Out);
        Assert.NotEqual(oldAccess, rav.ReadConfig()["access_token"]!.GetValue<string>());
    }

    [Fact]
    public async Task RefreshRacedByAnotherRavProcess_UsesTheTokensThatProcessSaved()
    {
        using var other = new Rav(server);
        await other.LoginAsAdminAsync();
        var config = other.ReadConfig();
        config["access_token"] = Tokens.WithExpiry(config["access_token"]!.GetValue<string>(), DateTimeOffset.UtcNow.AddHours(-1));
        other.WriteConfig(config);
        using var handler = new RacingRefreshHandler(() => other.OkAsync("orgs"));
        using var rav = new Rav(server, handler, other.Home);

        var result = await rav.RunAsync("orgs");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.NotEqual(config["refresh_token"]!.GetValue<string>(), rav.ReadConfig()["refresh_token"]!.GetValue<string>());
    }

    [Fact]
    public async Task RefreshTokenNoLongerValid_SaysTheSessionExpired()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var config = rav.ReadConfig();
        config["access_token"] = Tokens.WithExpiry(config["access_token"]!.GetValue<string>(), DateTimeOffset.UtcNow.AddHours(-1));
        config["refresh_token"] = "not-a-refresh-token";
        rav.WriteConfig(config);

        var result = await rav.RunAsync("orgs");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Your session has expired. Run 'rav login' again.", result.Err);
    }

    [Fact]
    public async Task UnreachableApi_SaysCannotReachAndHowToStartThePlatform()
    {
        var deadApi = $"http://127.0.0.1:{Screen.ClosedPort()}";
        using var rav = new Rav(server);

        var login = await rav.RunAsync("login", "-a", deadApi, "-u", "admin", "-p", "whatever-password");

        Assert.Equal(1, login.ExitCode);
        Assert.Contains($"Cannot reach the API at {deadApi}", login.Err);
        Assert.Contains("Is the platform running? Start it with './ravioli up'.", login.Err);
        Assert.DoesNotMatch(@"(?m)^\s+at \S+\(", login.Err);
    }

    [Fact]
    public async Task ApiGoingDownAfterLogin_CommandsSayCannotReach()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var config = rav.ReadConfig();
        var deadApi = $"http://127.0.0.1:{Screen.ClosedPort()}";
        config["api_url"] = deadApi;
        rav.WriteConfig(config);

        var result = await rav.RunAsync("orgs");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"Cannot reach the API at {deadApi}", result.Err);
    }

    [Fact]
    public async Task Commands_WithoutLogin_SayHowToLogIn()
    {
        using var rav = new Rav(server);

        var result = await rav.RunAsync("orgs");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Not logged in. Run 'rav login -a URL -u USER'.", result.Err);
        Assert.Empty(result.Out);
    }

    [Fact]
    public async Task Target_WithNoArguments_PrintsApiUserOrgAndSpace()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        var space = Names.Unique("space");
        await rav.OkAsync("create-org", org);
        await rav.OkAsync("create-space", space, "-o", org);
        await rav.OkAsync("target", "-o", org, "-s", space);

        var result = await rav.OkAsync("target");

        Assert.Matches($@"API endpoint:\s+{server.BaseUrl}", result.Out);
        Assert.Matches(@"user:\s+admin", result.Out);
        Assert.Matches($@"org:\s+{org}", result.Out);
        Assert.Matches($@"space:\s+{space}", result.Out);
    }

    [Fact]
    public async Task Target_Json_PrintsTheTargetWithoutTokens()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        await rav.OkAsync("create-org", org);

        var result = await rav.OkAsync("target", "-o", org, "--json");

        var json = result.Json();
        Assert.Equal(org, json.GetProperty("organization").GetProperty("name").GetString());
        Assert.Equal("admin", json.GetProperty("user").GetString());
        Assert.DoesNotContain("token", result.Out, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Target_UnknownOrg_SaysHowToFindOrgs()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();

        var result = await rav.RunAsync("target", "-o", "no-such-org");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Organization 'no-such-org' not found. Run 'rav orgs' to see the ones you can use.", result.Err);
    }

    [Fact]
    public async Task Target_UnknownSpace_SaysSpaceNotFound()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        await rav.OkAsync("create-org", org);

        var result = await rav.RunAsync("target", "-o", org, "-s", "no-such-space");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"Space 'no-such-space' not found in org '{org}'", result.Err);
    }

    [Fact]
    public async Task Spaces_WithNoOrgTargeted_SaysHowToTargetOne()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var config = rav.ReadConfig();
        config.Remove("organization");
        config.Remove("space");
        rav.WriteConfig(config);

        var result = await rav.RunAsync("spaces");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("No org targeted. Run 'rav target -o ORG'.", result.Err);
    }

    [Fact]
    public async Task Apps_WithNoSpaceTargeted_SaysHowToTargetOne()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var org = Names.Unique("org");
        await rav.OkAsync("create-org", org);
        await rav.OkAsync("target", "-o", org);

        var result = await rav.RunAsync("apps");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("No space targeted. Run 'rav target -s SPACE'.", result.Err);
    }

    [Fact]
    public async Task Version_PrintsCliAndApiVersions()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();

        var text = await rav.OkAsync("version");
        var json = (await rav.OkAsync("version", "--json")).Json();

        Assert.StartsWith("rav version ", text.Out);
        Assert.Contains("API version", text.Out);
        Assert.False(string.IsNullOrEmpty(json.GetProperty("version").GetString()));
        Assert.False(string.IsNullOrEmpty(json.GetProperty("api_version").GetString()));
    }

    [Fact]
    public async Task Api_SetsTheUrlAndShowsItsVersion()
    {
        using var rav = new Rav(server);

        var result = await rav.OkAsync("api", server.BaseUrl);

        Assert.Matches($@"API endpoint:\s+{server.BaseUrl}", result.Out);
        Assert.Contains("Not logged in", result.Out);
        Assert.Equal(server.BaseUrl, rav.ReadConfig()["api_url"]!.GetValue<string>());
    }
}
