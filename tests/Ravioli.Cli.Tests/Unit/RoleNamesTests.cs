using Ravioli.Cli.Commands;

namespace Ravioli.Cli.Tests.Unit;

public sealed class RoleNamesTests
{
    [Theory]
    [InlineData("OrgManager", "organization_manager")]
    [InlineData("orgmanager", "organization_manager")]
    [InlineData("org_manager", "organization_manager")]
    [InlineData("organization_manager", "organization_manager")]
    [InlineData("OrgAuditor", "organization_auditor")]
    [InlineData("ORGANIZATION_AUDITOR", "organization_auditor")]
    [InlineData("OrgUser", "organization_user")]
    public void ParseOrgRole_AcceptsCfAndApiSpellings(string text, string type)
        => Assert.Equal(type, RoleNames.ParseOrgRole(text).Type);

    [Theory]
    [InlineData("SpaceDeveloper", "space_developer")]
    [InlineData("space_manager", "space_manager")]
    [InlineData("space-auditor", "space_auditor")]
    public void ParseSpaceRole_AcceptsCfAndApiSpellings(string text, string type)
        => Assert.Equal(type, RoleNames.ParseSpaceRole(text).Type);

    [Theory]
    [InlineData("SpaceDeveloper")]
    [InlineData("admin")]
    public void ParseOrgRole_OtherRoles_AreRejected(string text)
        => Assert.Throws<CliException>(() => RoleNames.ParseOrgRole(text));

    [Fact]
    public void ParseSpaceRole_OrgRole_IsRejected()
        => Assert.Throws<CliException>(() => RoleNames.ParseSpaceRole("OrgManager"));
}
