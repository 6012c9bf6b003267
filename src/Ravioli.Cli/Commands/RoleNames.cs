namespace Ravioli.Cli.Commands;

/// <summary>A role as users type it (cf's names) and as the API spells it.</summary>
internal sealed record RoleName(string Display, string Type, string Heading);

/// <summary>Maps cf role names (OrgManager) and API role types (organization_manager) onto each other.</summary>
internal static class RoleNames
{
    public static readonly RoleName OrgManager = new("OrgManager", "organization_manager", "ORG MANAGER");
    public static readonly RoleName OrgAuditor = new("OrgAuditor", "organization_auditor", "ORG AUDITOR");
    public static readonly RoleName OrgUser = new("OrgUser", "organization_user", "USERS");
    public static readonly RoleName SpaceManager = new("SpaceManager", "space_manager", "SPACE MANAGER");
    public static readonly RoleName SpaceDeveloper = new("SpaceDeveloper", "space_developer", "SPACE DEVELOPER");
    public static readonly RoleName SpaceAuditor = new("SpaceAuditor", "space_auditor", "SPACE AUDITOR");

    public static IReadOnlyList<RoleName> OrgRoles { get; } = [OrgManager, OrgAuditor, OrgUser];

    public static IReadOnlyList<RoleName> SpaceRoles { get; } = [SpaceManager, SpaceDeveloper, SpaceAuditor];

    public static RoleName ParseOrgRole(string text) => Parse(text, OrgRoles, "OrgManager, OrgAuditor (or OrgUser)");

    public static RoleName ParseSpaceRole(string text) => Parse(text, SpaceRoles, "SpaceManager, SpaceDeveloper, SpaceAuditor");

    private static RoleName Parse(string text, IReadOnlyList<RoleName> roles, string choices)
    {
        var key = Normalize(text);
        return roles.FirstOrDefault(r => Normalize(r.Display) == key || Normalize(r.Type) == key)
            ?? throw new CliException($"Invalid role '{text}'. Use one of: {choices}.");
    }

    // "organization_manager", "org_manager", "Org-Manager" and "OrgManager" all mean the same role.
    private static string Normalize(string text)
    {
        var key = new string(text.Where(char.IsLetter).ToArray()).ToUpperInvariant();
        return key.StartsWith("ORGANIZATION", StringComparison.Ordinal) ? "ORG" + key["ORGANIZATION".Length..] : key;
    }
}
