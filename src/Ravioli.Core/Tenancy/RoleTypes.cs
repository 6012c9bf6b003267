namespace Ravioli.Core.Tenancy;

/// <summary>The role vocabulary of Cloud Foundry's v3 API; admin is a property of the user, not a role row.</summary>
public static class RoleTypes
{
    public const string OrganizationUser = "organization_user";
    public const string OrganizationManager = "organization_manager";
    public const string OrganizationAuditor = "organization_auditor";
    public const string SpaceDeveloper = "space_developer";
    public const string SpaceManager = "space_manager";
    public const string SpaceAuditor = "space_auditor";

    public static readonly IReadOnlyList<string> OrganizationRoles = [OrganizationUser, OrganizationManager, OrganizationAuditor];
    public static readonly IReadOnlyList<string> SpaceRoles = [SpaceDeveloper, SpaceManager, SpaceAuditor];
    public static readonly IReadOnlyList<string> All = [.. OrganizationRoles, .. SpaceRoles];

    public static bool IsOrganizationRole(string type) => OrganizationRoles.Contains(type);

    public static bool IsSpaceRole(string type) => SpaceRoles.Contains(type);
}
