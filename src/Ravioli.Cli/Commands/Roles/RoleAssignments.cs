using System.Text.Json;
using System.Text.Json.Nodes;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Roles;

/// <summary>Where a role applies: an org or a space, as the API names them in bodies and filters.</summary>
internal sealed record RoleScope(string Relationship, string Filter, string Guid)
{
    public static RoleScope Organization(string guid) => new("organization", "organization_guids", guid);

    public static RoleScope Space(string guid) => new("space", "space_guids", guid);
}

/// <summary>Giving, finding and listing roles, shared by the role commands.</summary>
internal static class RoleAssignments
{
    /// <summary>
    /// Gives a role; a role the user already has counts as success, as in cf, so scripts can be re-run.
    /// Returns the role's JSON (null when it already existed but is not visible to the caller).
    /// </summary>
    public static async Task<(JsonElement? Role, bool Existed)> EnsureAsync(
        CliSession session,
        string username,
        RoleName role,
        RoleScope scope,
        CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["type"] = role.Type,
            ["relationships"] = new JsonObject
            {
                ["user"] = new JsonObject { ["data"] = new JsonObject { ["username"] = username } },
                [scope.Relationship] = new JsonObject { ["data"] = new JsonObject { ["guid"] = scope.Guid } },
            },
        };

        try
        {
            return (await session.Api.PostAsync("/v3/roles", body, cancellationToken), false);
        }
        catch (ApiException e) when (e.IsUnprocessable)
        {
            // A duplicate is a 422 like a missing org membership is; look the role up to tell them apart.
            var user = await session.Resolve.FindUserAsync(username, cancellationToken);
            var existing = user is null ? null : await FindAsync(session, user.Guid, role, scope, cancellationToken);
            if (existing is not null)
            {
                return (existing.Raw, true);
            }

            if (e.SaysAlreadyExists)
            {
                return (null, true);
            }

            throw;
        }
    }

    public static async Task<RoleResource?> FindAsync(
        CliSession session,
        string userGuid,
        RoleName role,
        RoleScope scope,
        CancellationToken cancellationToken)
    {
        var roles = await session.Api.ListAsync(
            $"/v3/roles?types={role.Type}&user_guids={Resolver.Escape(userGuid)}&{scope.Filter}={Resolver.Escape(scope.Guid)}",
            cancellationToken);
        return roles.Resources.Select(Json.Resource<RoleResource>).FirstOrDefault(r => r.Type == role.Type);
    }

    /// <summary>Prints the users holding each role in cf's grouped layout and returns the roles for <c>--json</c>.</summary>
    public static async Task<JsonElement> ListAsync(
        CliSession session,
        IReadOnlyList<RoleName> roles,
        RoleScope scope,
        CancellationToken cancellationToken)
    {
        var types = string.Join(',', roles.Select(r => r.Type));
        var list = await session.Api.ListAsync(
            $"/v3/roles?{scope.Filter}={Resolver.Escape(scope.Guid)}&types={types}&include=user",
            cancellationToken);
        var assignments = list.Resources.Select(Json.As<RoleResource>).ToList();
        var names = await UserNamesAsync(session, list, assignments, cancellationToken);

        foreach (var role in roles)
        {
            session.Ui.Say(role.Heading);
            var holders = assignments
                .Where(a => a.Type == role.Type)
                .Select(a => a.Relationships?.User?.Data?.Guid)
                .OfType<string>()
                .Select(guid => names.GetValueOrDefault(guid, guid))
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.OrdinalIgnoreCase)
                .ToList();
            if (holders.Count == 0)
            {
                session.Ui.Say($"  No {role.Heading} found");
            }

            foreach (var holder in holders)
            {
                session.Ui.Say($"  {holder}");
            }

            session.Ui.Blank();
        }

        return Json.Array(list.Resources);
    }

    private static async Task<Dictionary<string, string>> UserNamesAsync(
        CliSession session,
        ResourceList list,
        IReadOnlyList<RoleResource> assignments,
        CancellationToken cancellationToken)
    {
        var names = list.IncludedOf("users")
            .Select(Json.As<UserResource>)
            .DistinctBy(u => u.Guid)
            .ToDictionary(u => u.Guid, u => u.Username, StringComparer.Ordinal);

        // `include=user` should bring every user along; look up any it missed rather than print guids.
        var missing = assignments
            .Select(a => a.Relationships?.User?.Data?.Guid)
            .OfType<string>()
            .Where(guid => !names.ContainsKey(guid))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (missing.Count > 0)
        {
            var users = await session.Api.ListAsync($"/v3/users?guids={string.Join(',', missing.Select(Resolver.Escape))}", cancellationToken);
            foreach (var user in users.Resources.Select(Json.As<UserResource>))
            {
                names[user.Guid] = user.Username;
            }
        }

        return names;
    }
}
