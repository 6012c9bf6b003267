using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli;

/// <summary>Turns the names users type into resources, with a "not found" message that says where to look.</summary>
internal sealed class Resolver(ApiClient api)
{
    public async Task<OrganizationResource?> FindOrgAsync(string name, CancellationToken cancellationToken)
        => await FindAsync<OrganizationResource>($"/v3/organizations?names={Escape(name)}", cancellationToken);

    public async Task<OrganizationResource> OrgAsync(string name, CancellationToken cancellationToken)
        => await FindOrgAsync(name, cancellationToken)
            ?? throw new CliException($"Organization '{name}' not found. Run 'rav orgs' to see the ones you can use.");

    public async Task<SpaceResource?> FindSpaceAsync(string orgGuid, string name, CancellationToken cancellationToken)
        => await FindAsync<SpaceResource>($"/v3/spaces?names={Escape(name)}&organization_guids={Escape(orgGuid)}", cancellationToken);

    public async Task<SpaceResource> SpaceAsync(string orgGuid, string orgName, string name, CancellationToken cancellationToken)
        => await FindSpaceAsync(orgGuid, name, cancellationToken)
            ?? throw new CliException($"Space '{name}' not found in org '{orgName}'. Run 'rav spaces' to see the ones you can use.");

    public async Task<UserResource?> FindUserAsync(string username, CancellationToken cancellationToken)
        => await FindAsync<UserResource>($"/v3/users?usernames={Escape(username)}", cancellationToken);

    public async Task<UserResource> UserAsync(string username, CancellationToken cancellationToken)
        => await FindUserAsync(username, cancellationToken)
            ?? throw new CliException($"User '{username}' not found. Check the name, or create the user with 'rav create-user'.");

    public async Task<QuotaResource?> FindQuotaAsync(string name, CancellationToken cancellationToken)
        => await FindAsync<QuotaResource>($"/v3/organization_quotas?names={Escape(name)}", cancellationToken);

    public async Task<QuotaResource> QuotaAsync(string name, CancellationToken cancellationToken)
        => await FindQuotaAsync(name, cancellationToken)
            ?? throw new CliException($"Quota '{name}' not found. Run 'rav quotas' to see the ones you can use.");

    public async Task<AppResource?> FindAppAsync(string spaceGuid, string name, CancellationToken cancellationToken)
        => await FindAsync<AppResource>($"/v3/apps?names={Escape(name)}&space_guids={Escape(spaceGuid)}", cancellationToken);

    public async Task<AppResource> AppAsync(Configuration.TargetRef space, string name, CancellationToken cancellationToken)
        => await FindAppAsync(space.Guid, name, cancellationToken)
            ?? throw new CliException($"App '{name}' not found in space '{space.Name}'. Run 'rav apps' to see the apps there, or 'rav push {name}' to create it.");

    public async Task<DomainResource?> FindDomainAsync(string name, CancellationToken cancellationToken)
        => await FindAsync<DomainResource>($"/v3/domains?names={Escape(name.ToLowerInvariant())}", cancellationToken);

    public async Task<DomainResource> DomainAsync(string name, CancellationToken cancellationToken)
        => await FindDomainAsync(name, cancellationToken)
            ?? throw new CliException($"Domain '{name}' not found. Run 'rav domains' to see the ones you can use.");

    public async Task<ServiceInstanceResource?> FindServiceInstanceAsync(string spaceGuid, string name, CancellationToken cancellationToken)
        => await FindAsync<ServiceInstanceResource>($"/v3/service_instances?names={Escape(name)}&space_guids={Escape(spaceGuid)}", cancellationToken);

    public async Task<ServiceInstanceResource> ServiceInstanceAsync(Configuration.TargetRef space, string name, CancellationToken cancellationToken)
        => await FindServiceInstanceAsync(space.Guid, name, cancellationToken)
            ?? throw new CliException($"Service instance '{name}' not found in space '{space.Name}'. Run 'rav services' to see the ones there.");

    public async Task<ServiceBrokerResource?> FindServiceBrokerAsync(string name, CancellationToken cancellationToken)
        => await FindAsync<ServiceBrokerResource>($"/v3/service_brokers?names={Escape(name)}", cancellationToken);

    public async Task<ServiceBrokerResource> ServiceBrokerAsync(string name, CancellationToken cancellationToken)
        => await FindServiceBrokerAsync(name, cancellationToken)
            ?? throw new CliException($"Service broker '{name}' not found. Run 'rav service-brokers' to see the ones you can use.");

    public static string Escape(string value) => Uri.EscapeDataString(value);

    private async Task<T?> FindAsync<T>(string path, CancellationToken cancellationToken)
        where T : Resource
    {
        var list = await api.ListAsync(path, cancellationToken);
        return list.Resources.Count == 0 ? null : Json.Resource<T>(list.Resources[0]);
    }
}
