using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ravioli.Services.Osb;

/// <summary>One bound service as an app sees it in VCAP_SERVICES. Holds credentials: never log it.</summary>
public sealed record VcapServiceEntry(
    string Label,
    string Name,
    string InstanceGuid,
    string InstanceName,
    string BindingGuid,
    string? BindingName,
    string? Plan,
    string? Provider,
    IReadOnlyList<string> Tags,
    JsonObject Credentials,
    string? SyslogDrainUrl,
    JsonArray? VolumeMounts)
{
    /// <summary>The "name" Cloud Foundry shows: the binding's name when it has one, else the instance's.</summary>
    public static string NameFor(string? bindingName, string instanceName) =>
        string.IsNullOrEmpty(bindingName) ? instanceName : bindingName;

    /// <summary>The label Cloud Foundry gives user-provided service instances.</summary>
    public const string UserProvidedLabel = "user-provided";

    public override string ToString() =>
        $"VcapServiceEntry {{ Label = {Label}, Name = {Name}, InstanceGuid = {InstanceGuid}, BindingGuid = {BindingGuid}, Credentials = (redacted) }}";
}

/// <summary>Builds the VCAP_SERVICES environment variable exactly as Cloud Foundry lays it out.</summary>
public static class VcapServices
{
    private static readonly JsonSerializerOptions s_options = new()
    {
        // An environment variable, not HTML: keep '+', '&', '<' and non-ASCII text as they are, as Cloud Foundry does.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    /// <summary>
    /// An object keyed by label; each value an array of bindings with the keys binding_guid, binding_name, credentials,
    /// instance_guid, instance_name, label, name, plan, provider, syslog_drain_url, tags, volume_mounts (absent values are
    /// JSON null, volume_mounts is [] when there are none). Labels are in ordinal order and bindings within a label by name
    /// then binding guid, so the same bindings always give the same text.
    /// </summary>
    public static string Build(IEnumerable<VcapServiceEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var root = new JsonObject();
        var groups = entries
            .GroupBy(e => e.Label, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var array = new JsonArray();
            foreach (var entry in group.OrderBy(e => e.Name, StringComparer.Ordinal).ThenBy(e => e.BindingGuid, StringComparer.Ordinal))
            {
                array.Add(ToJson(entry));
            }
            root[group.Key] = array;
        }
        return root.ToJsonString(s_options);
    }

    private static JsonObject ToJson(VcapServiceEntry entry)
    {
        var tags = new JsonArray();
        foreach (var tag in entry.Tags)
        {
            tags.Add(tag);
        }
        return new JsonObject
        {
            ["binding_guid"] = entry.BindingGuid,
            ["binding_name"] = entry.BindingName,
            ["credentials"] = entry.Credentials.DeepClone(),
            ["instance_guid"] = entry.InstanceGuid,
            ["instance_name"] = entry.InstanceName,
            ["label"] = entry.Label,
            ["name"] = string.IsNullOrEmpty(entry.Name) ? entry.BindingName ?? entry.InstanceName : entry.Name,
            ["plan"] = entry.Plan,
            ["provider"] = entry.Provider,
            ["syslog_drain_url"] = entry.SyslogDrainUrl,
            ["tags"] = tags,
            ["volume_mounts"] = entry.VolumeMounts?.DeepClone() ?? new JsonArray(),
        };
    }
}
