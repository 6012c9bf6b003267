using System.Text.Json;
using Ravioli.Cli.Configuration;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Session;

/// <summary>Choosing and showing the targeted org and space, shared by <c>login</c> and <c>target</c>.</summary>
internal static class Targeting
{
    /// <summary>Targets an org (and a space in it). Like cf, a lone space is targeted without being named.</summary>
    public static async Task TargetOrgAsync(CliSession session, string orgName, string? spaceName, CancellationToken cancellationToken)
    {
        var org = await session.Resolve.OrgAsync(orgName, cancellationToken);
        await TargetOrgAsync(session, org, spaceName, cancellationToken);
    }

    public static async Task TargetOrgAsync(CliSession session, OrganizationResource org, string? spaceName, CancellationToken cancellationToken)
    {
        TargetRef? space = null;
        if (spaceName is not null)
        {
            var found = await session.Resolve.SpaceAsync(org.Guid, org.Name, spaceName, cancellationToken);
            space = new TargetRef(found.Guid, found.Name);
        }
        else
        {
            var spaces = await session.Api.ListAsync($"/v3/spaces?organization_guids={Resolver.Escape(org.Guid)}", cancellationToken);
            if (spaces.Resources.Count == 1)
            {
                var only = Json.As<SpaceResource>(spaces.Resources[0]);
                space = new TargetRef(only.Guid, only.Name);
            }
        }

        await session.SaveAsync(session.Config with { Organization = new TargetRef(org.Guid, org.Name), Space = space }, cancellationToken);
    }

    public static async Task TargetSpaceAsync(CliSession session, string spaceName, CancellationToken cancellationToken)
    {
        var org = session.RequireOrg();
        var space = await session.Resolve.SpaceAsync(org.Guid, org.Name, spaceName, cancellationToken);
        await session.SaveAsync(session.Config with { Space = new TargetRef(space.Guid, space.Name) }, cancellationToken);
    }

    public static void Print(CliSession session)
    {
        var config = session.Config;
        session.Ui.Fields(
        [
            new("API endpoint", config.ApiUrl ?? $"not set, use 'rav login -a {CliSession.DefaultApiUrl}'"),
            new("user", config.HasSession() ? config.Username ?? "unknown" : "not logged in, use 'rav login'"),
            new("org", config.Organization?.Name ?? "No org targeted, use 'rav target -o ORG'"),
            new("space", config.Space?.Name ?? "No space targeted, use 'rav target -s SPACE'"),
        ]);
    }

    /// <summary>The target as JSON for <c>--json</c>; never includes tokens.</summary>
    public static JsonElement ToJson(CliConfig config)
        => Json.ToElement(new TargetView(config.ApiUrl, config.HasSession() ? config.Username : null, config.Organization, config.Space));

    private sealed record TargetView(string? ApiUrl, string? User, TargetRef? Organization, TargetRef? Space);
}
