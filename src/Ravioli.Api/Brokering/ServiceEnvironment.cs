using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Secrets;
using Ravioli.Services.Osb;
using Ravioli.Store;

namespace Ravioli.Api.Brokering;

/// <summary>An app's VCAP_SERVICES: its bindings as they stand, with credentials, in Cloud Foundry's format.</summary>
public sealed class ServiceEnvironment(SecretBox secrets)
{
    public async Task<string> VcapServicesAsync(RavioliDb db, string appGuid, CancellationToken ct)
    {
        // A binding counts once created, and still counts while a failed unbind leaves it in place.
        var bindings = await db.ServiceBindings.AsNoTracking()
            .Where(b => b.AppGuid == appGuid && b.Type == BindingTypes.App
                && ((b.LastOperationType == OperationTypes.Create && b.LastOperationState == OperationStates.Succeeded)
                    || (b.LastOperationType != OperationTypes.Create && b.LastOperationState == OperationStates.Failed)))
            .Include(b => b.Instance!).ThenInclude(i => i.Plan!).ThenInclude(p => p.Offering)
            .OrderBy(b => b.CreatedAt)
            .ToListAsync(ct);
        var entries = new List<VcapServiceEntry>();
        foreach (var b in bindings)
        {
            var instance = b.Instance!;
            var managed = instance.Type == InstanceTypes.Managed;
            var tags = new List<string>();
            if (managed)
            {
                tags.AddRange(JsonSerializer.Deserialize<List<string>>(instance.Plan!.Offering!.Tags) ?? []);
            }
            tags.AddRange(JsonSerializer.Deserialize<List<string>>(instance.Tags) ?? []);
            var credentials = managed ? b.Credentials : instance.Credentials;
            entries.Add(new VcapServiceEntry(
                managed ? instance.Plan!.Offering!.Name : "user-provided",
                b.Name ?? instance.Name!,
                instance.Guid,
                instance.Name!,
                b.Guid,
                b.Name,
                managed ? instance.Plan!.Name : null,
                null,
                [.. tags.Distinct()],
                credentials is null ? [] : JsonNode.Parse(secrets.Open(credentials)) as JsonObject ?? [],
                managed ? b.SyslogDrainUrl : instance.SyslogDrainUrl,
                b.VolumeMounts is null ? null : JsonNode.Parse(b.VolumeMounts) as JsonArray));
        }
        return VcapServices.Build(entries);
    }
}
