using System.Text.Json;
using Ravioli.Cli.Tests.Support;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests;

public sealed class UserAndRoleTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    [Fact]
    public async Task CreateUser_CanThenLogIn()
    {
        using var admin = new Rav(server);
        await admin.LoginAsAdminAsync();
        var username = Names.Unique("alice");

        var created = await admin.OkAsync("create-user", username, "alice-password-1");

        Assert.Contains($"Creating user {username} as admin...", created.Out);
        using var alice = new Rav(server);
        var login = await alice.OkAsync("login", "-a", server.BaseUrl, "-u", username, "-p", "alice-password-1");
        Assert.Contains($"Authenticated as {username}.", login.Out);
    }

    [Fact]
    public async Task CreateUser_WithAdminFlag_MakesAnAdmin()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var username = Names.Unique("boss");

        var result = await rav.OkAsync("create-user", username, "boss-password-1", "--admin", "--json");

        Assert.True(result.Json().GetProperty("admin").GetBoolean());
        Assert.Equal(username, result.Json().GetProperty("username").GetString());
    }

    [Fact]
    public async Task CreateUser_PasswordTooShort_ShowsTheServersReason()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();

        var result = await rav.RunAsync("create-user", Names.Unique("short"), "short");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("password", result.Err);
    }

    [Fact]
    public async Task DeleteUser_EndsTheirSessionAndLogin()
    {
        using var admin = new Rav(server);
        await admin.LoginAsAdminAsync();
        var username = Names.Unique("bob");
        await admin.OkAsync("create-user", username, "bob-password-1");
        using var bob = new Rav(server);
        await bob.OkAsync("login", "-a", server.BaseUrl, "-u", username, "-p", "bob-password-1");

        var deleted = await admin.OkAsync("delete-user", username, "-f");

        Assert.Contains($"Deleting user {username} as admin...", deleted.Out);
        var orgs = await bob.RunAsync("orgs");
        Assert.Equal(1, orgs.ExitCode);
        Assert.Contains("rav login", orgs.Err);
        var login = await bob.RunAsync("login", "-a", server.BaseUrl, "-u", username, "-p", "bob-password-1");
        Assert.Equal(1, login.ExitCode);
    }

    [Fact]
    public async Task SetOrgRole_ShowsUpInOrgUsers_AndUnsetOrgRoleRemovesIt()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var (username, org) = await UserAndOrgAsync(rav);

        var set = await rav.OkAsync("set-org-role", username, org, "OrgManager");
        var withRole = await rav.OkAsync("org-users", org);
        await rav.OkAsync("unset-org-role", username, org, "OrgManager");
        var withoutRole = await rav.OkAsync("org-users", org);

        Assert.Contains($"Assigning role OrgManager to user {username} in org {org} as admin...", set.Out);
        Assert.Equal([username], Screen.Section(withRole.Out, "ORG MANAGER"));
        Assert.Equal([username], Screen.Section(withRole.Out, "USERS"));
        Assert.Equal(["No ORG MANAGER found"], Screen.Section(withoutRole.Out, "ORG MANAGER"));
        Assert.Equal([username], Screen.Section(withoutRole.Out, "USERS"));
    }

    [Theory]
    [InlineData("organization_auditor")]
    [InlineData("org_auditor")]
    [InlineData("ORGAUDITOR")]
    public async Task SetOrgRole_AcceptsApiAndShortRoleNames(string role)
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var (username, org) = await UserAndOrgAsync(rav);

        await rav.OkAsync("set-org-role", username, org, role);

        Assert.Equal([username], Screen.Section((await rav.OkAsync("org-users", org)).Out, "ORG AUDITOR"));
    }

    [Fact]
    public async Task SetOrgRole_ThatTheUserAlreadyHas_Succeeds()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var (username, org) = await UserAndOrgAsync(rav);
        await rav.OkAsync("set-org-role", username, org, "OrgManager");

        var again = await rav.OkAsync("set-org-role", username, org, "OrgManager", "--json");

        Assert.Contains("already has role OrgManager", again.Err);
        Assert.Equal("organization_manager", again.Json().GetProperty("type").GetString());
    }

    [Fact]
    public async Task SetOrgRole_UnknownRole_ListsTheValidOnes()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var (username, org) = await UserAndOrgAsync(rav);

        var result = await rav.RunAsync("set-org-role", username, org, "OrgBoss");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Invalid role 'OrgBoss'. Use one of: OrgManager, OrgAuditor", result.Err);
    }

    [Fact]
    public async Task SetOrgRole_UnknownUser_Fails()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var (_, org) = await UserAndOrgAsync(rav);

        var result = await rav.RunAsync("set-org-role", Names.Unique("nobody"), org, "OrgManager");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("FAILED", result.Err);
    }

    [Fact]
    public async Task SetSpaceRole_AddsTheUserToTheOrgAndTheSpace_AndUnsetSpaceRoleRemovesIt()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var (username, org) = await UserAndOrgAsync(rav);
        var space = Names.Unique("space");
        await rav.OkAsync("create-space", space, "-o", org);

        var set = await rav.OkAsync("set-space-role", username, org, space, "SpaceDeveloper");
        var orgUsers = await rav.OkAsync("org-users", org);
        var withRole = await rav.OkAsync("space-users", org, space);
        await rav.OkAsync("unset-space-role", username, org, space, "SpaceDeveloper");
        var withoutRole = await rav.OkAsync("space-users", org, space);

        Assert.Contains($"Assigning role SpaceDeveloper to user {username} in org {org} / space {space} as admin...", set.Out);
        Assert.Equal([username], Screen.Section(orgUsers.Out, "USERS"));
        Assert.Equal([username], Screen.Section(withRole.Out, "SPACE DEVELOPER"));
        Assert.Equal(["No SPACE MANAGER found"], Screen.Section(withRole.Out, "SPACE MANAGER"));
        Assert.Equal(["No SPACE DEVELOPER found"], Screen.Section(withoutRole.Out, "SPACE DEVELOPER"));
    }

    [Fact]
    public async Task SetSpaceRole_TwoRoles_BothListedAndTheUserCanSeeTheSpace()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var (username, org) = await UserAndOrgAsync(rav);
        var space = Names.Unique("space");
        await rav.OkAsync("create-space", space, "-o", org);

        await rav.OkAsync("set-space-role", username, org, space, "space_manager");
        await rav.OkAsync("set-space-role", username, org, space, "SpaceAuditor");

        var users = await rav.OkAsync("space-users", org, space);
        Assert.Equal([username], Screen.Section(users.Out, "SPACE MANAGER"));
        Assert.Equal([username], Screen.Section(users.Out, "SPACE AUDITOR"));
        using var user = new Rav(server);
        await user.OkAsync("login", "-a", server.BaseUrl, "-u", username, "-p", "role-user-pass-1", "-o", org, "-s", space);
        Assert.Equal(space, user.ReadConfig()["space"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnsetOrgRole_ThatTheUserDoesNotHave_SucceedsSayingSo()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var (username, org) = await UserAndOrgAsync(rav);

        var result = await rav.OkAsync("unset-org-role", username, org, "OrgAuditor");

        Assert.Contains("does not have role OrgAuditor", result.Err);
    }

    [Fact]
    public async Task OrgUsers_Json_IsAnArrayOfTheOrgsRoles()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();
        var (username, org) = await UserAndOrgAsync(rav);
        await rav.OkAsync("set-org-role", username, org, "OrgManager");

        var result = await rav.OkAsync("org-users", org, "--json");

        var roles = result.Json();
        Assert.Equal(JsonValueKind.Array, roles.ValueKind);
        Assert.Equal(
            ["organization_manager", "organization_user"],
            roles.EnumerateArray().Select(r => r.GetProperty("type").GetString()).Order());
    }

    [Fact]
    public async Task OrgManager_CanGiveSpaceRolesInTheirOrg()
    {
        using var admin = new Rav(server);
        await admin.LoginAsAdminAsync();
        var (manager, org) = await UserAndOrgAsync(admin);
        var developer = Names.Unique("dev");
        await admin.OkAsync("create-user", developer, "developer-pass-1");
        await admin.OkAsync("set-org-role", manager, org, "OrgManager");
        using var rav = new Rav(server);
        await rav.OkAsync("login", "-a", server.BaseUrl, "-u", manager, "-p", "role-user-pass-1", "-o", org);

        await rav.OkAsync("create-space", "dev");
        await rav.OkAsync("set-space-role", developer, org, "dev", "SpaceDeveloper");

        Assert.Equal([developer], Screen.Section((await rav.OkAsync("space-users", org, "dev")).Out, "SPACE DEVELOPER"));
    }

    private static async Task<(string Username, string Org)> UserAndOrgAsync(Rav rav)
    {
        var username = Names.Unique("user");
        var org = Names.Unique("org");
        await rav.OkAsync("create-user", username, "role-user-pass-1");
        await rav.OkAsync("create-org", org);
        return (username, org);
    }
}
