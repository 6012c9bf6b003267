using Ravioli.Cli.Configuration;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.ServiceBindings;

/// <summary>Reading app bindings and service keys, shared by the commands that show them.</summary>
internal static class BindingLookup
{
    /// <summary>The app bindings of the given instances.</summary>
    public static async Task<IReadOnlyList<ServiceCredentialBindingResource>> AppBindingsAsync(
        ApiClient api, IEnumerable<string> instanceGuids, CancellationToken cancellationToken)
    {
        var guids = instanceGuids.Distinct(StringComparer.Ordinal).ToList();
        if (guids.Count == 0)
        {
            return [];
        }

        var list = await api.ListAsync(
            $"/v3/service_credential_bindings?type={ServiceCredentialBindingResource.App}&service_instance_guids={Resolver.Escape(string.Join(',', guids))}",
            cancellationToken);
        return [.. list.Resources.Select(Json.Resource<ServiceCredentialBindingResource>)];
    }

    /// <summary>The names of the apps bound to each instance, by instance guid.</summary>
    public static async Task<ILookup<string, string>> BoundAppNamesAsync(
        ApiClient api, TargetRef space, IEnumerable<string> instanceGuids, CancellationToken cancellationToken)
    {
        var bindings = await AppBindingsAsync(api, instanceGuids, cancellationToken);
        var apps = bindings.Count == 0 ? new Dictionary<string, string>() : await AppNamesAsync(api, space, cancellationToken);
        return bindings
            .Where(b => b.InstanceGuid is not null && b.AppGuid is not null)
            .ToLookup(b => b.InstanceGuid!, b => apps.GetValueOrDefault(b.AppGuid!, b.AppGuid!));
    }

    /// <summary>App names by guid; instances are bound to apps of their own space.</summary>
    public static async Task<Dictionary<string, string>> AppNamesAsync(ApiClient api, TargetRef space, CancellationToken cancellationToken)
        => (await api.ListAsync($"/v3/apps?space_guids={Resolver.Escape(space.Guid)}", cancellationToken)).Resources
            .Select(Json.Resource<AppResource>)
            .ToDictionary(a => a.Guid, a => a.Name, StringComparer.Ordinal);

    /// <summary>The app's binding to the instance, if there is one.</summary>
    public static async Task<ServiceCredentialBindingResource?> FindAppBindingAsync(
        ApiClient api, string appGuid, string instanceGuid, CancellationToken cancellationToken)
    {
        var list = await api.ListAsync(
            $"/v3/service_credential_bindings?type={ServiceCredentialBindingResource.App}&app_guids={Resolver.Escape(appGuid)}&service_instance_guids={Resolver.Escape(instanceGuid)}",
            cancellationToken);
        return list.Resources.Select(Json.Resource<ServiceCredentialBindingResource>).FirstOrDefault();
    }

    /// <summary>The instance's service key of that name, if there is one.</summary>
    public static async Task<ServiceCredentialBindingResource?> FindKeyAsync(
        ApiClient api, string instanceGuid, string name, CancellationToken cancellationToken)
    {
        var list = await api.ListAsync(
            $"/v3/service_credential_bindings?type={ServiceCredentialBindingResource.Key}&service_instance_guids={Resolver.Escape(instanceGuid)}&names={Resolver.Escape(name)}",
            cancellationToken);
        return list.Resources.Select(Json.Resource<ServiceCredentialBindingResource>).FirstOrDefault(k => k.Name == name);
    }

    public static async Task<ServiceCredentialBindingResource> KeyAsync(
        ApiClient api, ServiceInstanceResource instance, string name, CancellationToken cancellationToken)
        => await FindKeyAsync(api, instance.Guid, name, cancellationToken)
            ?? throw new CliException($"No service key {name} found for service instance {instance.Name}. Run 'rav service-keys {instance.Name}' to see its keys.");
}
