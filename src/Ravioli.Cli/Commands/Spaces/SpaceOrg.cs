namespace Ravioli.Cli.Commands.Spaces;

/// <summary>The org a space command works in: the one named with -o, else the targeted one.</summary>
internal static class SpaceOrg
{
    public static async Task<(string Guid, string Name)> ResolveAsync(CliSession session, string? orgName, CancellationToken cancellationToken)
    {
        if (orgName is null)
        {
            var target = session.RequireOrg();
            return (target.Guid, target.Name);
        }

        var org = await session.Resolve.OrgAsync(orgName, cancellationToken);
        return (org.Guid, org.Name);
    }
}
