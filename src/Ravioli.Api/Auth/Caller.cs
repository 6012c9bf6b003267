using System.Reflection;
using Microsoft.AspNetCore.Http;
using Ravioli.Core.Tenancy;

namespace Ravioli.Api.Auth;

public sealed record RoleGrant(string Type, string OrganizationGuid, string? SpaceGuid);

/// <summary>The authenticated user of this request with the roles read from the database, and what those roles allow.</summary>
public sealed class Caller
{
    private const string ItemKey = "ravioli.caller";

    public Caller(string userGuid, string username, bool isAdmin, IReadOnlyList<RoleGrant> roles)
    {
        UserGuid = userGuid;
        Username = username;
        IsAdmin = isAdmin;
        Roles = roles;
        OrganizationGuids = [.. roles.Select(r => r.OrganizationGuid).Distinct()];
        SpaceGuids = [.. roles.Where(r => r.SpaceGuid is not null).Select(r => r.SpaceGuid!).Distinct()];
        OrganizationsSeeingAllSpaces = [.. roles
            .Where(r => r.SpaceGuid is null && r.Type is RoleTypes.OrganizationManager or RoleTypes.OrganizationAuditor)
            .Select(r => r.OrganizationGuid).Distinct()];
    }

    public string UserGuid { get; }
    public string Username { get; }
    public bool IsAdmin { get; }
    public IReadOnlyList<RoleGrant> Roles { get; }

    /// <summary>Orgs where the caller holds any role (space roles included).</summary>
    public IReadOnlyList<string> OrganizationGuids { get; }

    /// <summary>Spaces where the caller holds a space role.</summary>
    public IReadOnlyList<string> SpaceGuids { get; }

    /// <summary>Orgs whose every space the caller may read: org managers and auditors.</summary>
    public IReadOnlyList<string> OrganizationsSeeingAllSpaces { get; }

    public bool HasOrganizationRole(string organizationGuid, params string[] types) =>
        IsAdmin || Roles.Any(r => r.SpaceGuid is null && r.OrganizationGuid == organizationGuid && types.Contains(r.Type));

    public bool HasSpaceRole(string spaceGuid, params string[] types) =>
        IsAdmin || Roles.Any(r => r.SpaceGuid == spaceGuid && types.Contains(r.Type));

    public bool CanSeeOrganization(string organizationGuid) => IsAdmin || OrganizationGuids.Contains(organizationGuid);

    public bool CanSeeSpace(string spaceGuid, string organizationGuid) =>
        IsAdmin || SpaceGuids.Contains(spaceGuid) || OrganizationsSeeingAllSpaces.Contains(organizationGuid);

    public bool IsOrganizationManager(string organizationGuid) => HasOrganizationRole(organizationGuid, RoleTypes.OrganizationManager);

    public bool IsSpaceDeveloper(string spaceGuid) => HasSpaceRole(spaceGuid, RoleTypes.SpaceDeveloper);

    public bool CanManageSpace(string spaceGuid, string organizationGuid) =>
        IsOrganizationManager(organizationGuid) || HasSpaceRole(spaceGuid, RoleTypes.SpaceManager);

    internal void AttachTo(HttpContext context) => context.Items[ItemKey] = this;

    /// <summary>Minimal API binding: endpoints take a Caller parameter; the bearer handler has put it there.</summary>
    public static ValueTask<Caller?> BindAsync(HttpContext context, ParameterInfo parameter) =>
        ValueTask.FromResult<Caller?>(context.Items[ItemKey] as Caller
            ?? throw new InvalidOperationException($"Endpoint parameter '{parameter.Name}' needs an authenticated caller; add RequireAuthorization()."));
}
