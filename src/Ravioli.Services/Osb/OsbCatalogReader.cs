using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Ravioli.Services.Osb;

/// <summary>
/// Reads and validates a catalog document against OSB 2.17's "Catalog Management" section. It reports every problem, each with
/// its JSON path, rather than stopping at the first, so a broker author can fix a catalog in one round.
/// Unknown fields are ignored, as the spec's vendor extension rule requires.
/// </summary>
internal static partial class OsbCatalogReader
{
    /// <summary>The spec RECOMMENDS strings of at most 255 characters.</summary>
    public const int RecommendedMaxLength = 255;

    /// <summary>"Schemas MUST NOT be larger than 64kB."</summary>
    public const int MaxSchemaBytes = 64 * 1024;

    private static readonly string[] s_knownRequires = ["syslog_drain", "route_forwarding", "volume_mount"];

    public sealed record Result(OsbCatalog? Catalog, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings);

    public static Result Read(JsonNode? root)
    {
        var reader = new Reader();
        var catalog = reader.ReadCatalog(root);
        return reader.Errors.Count == 0
            ? new Result(catalog with { Warnings = reader.Warnings }, [], reader.Warnings)
            : new Result(null, reader.Errors, reader.Warnings);
    }

    // CLI-friendly per the spec is letters, digits, periods and hyphens; underscores are accepted too, as Cloud Foundry does.
    [GeneratedRegex(@"^[A-Za-z0-9._-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex CliFriendly();

    // Semantic Versioning 2.0.0, the form maintenance_info.version MUST take.
    [GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\z", RegexOptions.CultureInvariant)]
    private static partial Regex SemVer();

    private sealed class Reader
    {
        private readonly Dictionary<string, string> _idPaths = new(StringComparer.Ordinal);

        public List<string> Errors { get; } = [];
        public List<string> Warnings { get; } = [];

        public OsbCatalog ReadCatalog(JsonNode? root)
        {
            if (root is not JsonObject catalog)
            {
                Errors.Add($"$: must be a JSON object, not {OsbText.KindOf(root)}");
                return new OsbCatalog([]);
            }
            if (!catalog.TryGetPropertyValue("services", out var servicesNode) || servicesNode is null)
            {
                Errors.Add("$.services: required (an array of Service Offerings, which may be empty)");
                return new OsbCatalog([]);
            }
            if (servicesNode is not JsonArray services)
            {
                Errors.Add($"$.services: must be an array, not {OsbText.KindOf(servicesNode)}");
                return new OsbCatalog([]);
            }

            var result = new List<OsbService>();
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < services.Count; i++)
            {
                var path = $"$.services[{i}]";
                if (services[i] is not JsonObject service)
                {
                    Errors.Add($"{path}: must be an object, not {OsbText.KindOf(services[i])}");
                    continue;
                }
                var offering = ReadService(service, path);
                if (offering is null)
                {
                    continue;
                }
                if (names.TryGetValue(offering.Name, out var first))
                {
                    Errors.Add($"{path}.name: \"{offering.Name}\" is also the name of {first}; Service Offering names MUST be unique");
                }
                else
                {
                    names[offering.Name] = path;
                }
                result.Add(offering);
            }
            return new OsbCatalog(result);
        }

        private OsbService? ReadService(JsonObject service, string path)
        {
            var errorsBefore = Errors.Count;
            var id = RequiredString(service, "id", path);
            ClaimId(id, path);
            var name = RequiredString(service, "name", path);
            CheckName(name, path, "Service Offering");
            var description = RequiredString(service, "description", path);
            CheckLength(description, $"{path}.description");
            var bindable = RequiredBool(service, "bindable", path);
            var tags = OptionalStrings(service, "tags", path);
            var requires = OptionalStrings(service, "requires", path);
            for (var i = 0; i < requires.Count; i++)
            {
                if (!s_knownRequires.Contains(requires[i], StringComparer.Ordinal))
                {
                    Warnings.Add($"{path}.requires[{i}]: \"{requires[i]}\" is not a permission the spec defines (syslog_drain, route_forwarding, volume_mount)");
                }
            }
            var instancesRetrievable = OptionalBool(service, "instances_retrievable", path) ?? false;
            var bindingsRetrievable = OptionalBool(service, "bindings_retrievable", path) ?? false;
            var allowContextUpdates = OptionalBool(service, "allow_context_updates", path) ?? false;
            var planUpdateable = OptionalBool(service, "plan_updateable", path) ?? false;
            var metadata = OptionalObject(service, "metadata", path);
            var dashboardClient = OptionalObject(service, "dashboard_client", path);
            if (dashboardClient is not null)
            {
                RequiredString(dashboardClient, "id", $"{path}.dashboard_client");
                RequiredString(dashboardClient, "secret", $"{path}.dashboard_client");
                OptionalString(dashboardClient, "redirect_uri", $"{path}.dashboard_client");
            }

            var plans = new List<OsbPlan>();
            if (!service.TryGetPropertyValue("plans", out var plansNode) || plansNode is null)
            {
                Errors.Add($"{path}.plans: required (at least one Service Plan)");
            }
            else if (plansNode is not JsonArray planArray)
            {
                Errors.Add($"{path}.plans: must be an array, not {OsbText.KindOf(plansNode)}");
            }
            else if (planArray.Count == 0)
            {
                Errors.Add($"{path}.plans: must contain at least one Service Plan");
            }
            else
            {
                var planNames = new Dictionary<string, string>(StringComparer.Ordinal);
                for (var i = 0; i < planArray.Count; i++)
                {
                    var planPath = $"{path}.plans[{i}]";
                    if (planArray[i] is not JsonObject planObject)
                    {
                        Errors.Add($"{planPath}: must be an object, not {OsbText.KindOf(planArray[i])}");
                        continue;
                    }
                    var plan = ReadPlan(planObject, planPath);
                    if (plan is null)
                    {
                        continue;
                    }
                    if (planNames.TryGetValue(plan.Name, out var first))
                    {
                        Errors.Add($"{planPath}.name: \"{plan.Name}\" is also the name of {first}; plan names MUST be unique within a Service Offering");
                    }
                    else
                    {
                        planNames[plan.Name] = planPath;
                    }
                    plans.Add(plan);
                }
            }

            if (Errors.Count > errorsBefore)
            {
                return null;
            }
            return new OsbService(
                id!, name!, description!, tags, requires, bindable!.Value, instancesRetrievable, bindingsRetrievable,
                planUpdateable, allowContextUpdates, metadata, dashboardClient, plans);
        }

        private OsbPlan? ReadPlan(JsonObject plan, string path)
        {
            var errorsBefore = Errors.Count;
            var id = RequiredString(plan, "id", path);
            ClaimId(id, path);
            var name = RequiredString(plan, "name", path);
            CheckName(name, path, "Service Plan");
            var description = RequiredString(plan, "description", path);
            CheckLength(description, $"{path}.description");
            var metadata = OptionalObject(plan, "metadata", path);
            var free = OptionalBool(plan, "free", path) ?? true;
            var bindable = OptionalBool(plan, "bindable", path);
            var bindingRotatable = OptionalBool(plan, "binding_rotatable", path) ?? false;
            var planUpdateable = OptionalBool(plan, "plan_updateable", path);
            var schemas = OptionalObject(plan, "schemas", path);
            if (schemas is not null)
            {
                CheckSchemas(schemas, $"{path}.schemas");
            }
            var maximumPollingDuration = OptionalPositiveInt(plan, "maximum_polling_duration", path);
            var maintenanceInfo = OptionalObject(plan, "maintenance_info", path);
            if (maintenanceInfo is not null)
            {
                var version = RequiredString(maintenanceInfo, "version", $"{path}.maintenance_info");
                if (version is not null && !SemVer().IsMatch(version))
                {
                    Errors.Add($"{path}.maintenance_info.version: \"{version}\" is not a semantic version 2.0 (e.g. \"1.2.3\" or \"2.1.1+abcdef\")");
                }
                OptionalString(maintenanceInfo, "description", $"{path}.maintenance_info");
            }

            if (Errors.Count > errorsBefore)
            {
                return null;
            }
            return new OsbPlan(id!, name!, description!, free, bindable, planUpdateable, metadata, schemas, maintenanceInfo, maximumPollingDuration)
            {
                BindingRotatable = bindingRotatable,
            };
        }

        private void CheckSchemas(JsonObject schemas, string path)
        {
            var instance = OptionalObject(schemas, "service_instance", path, clone: false);
            if (instance is not null)
            {
                CheckInputSchema(instance, "create", $"{path}.service_instance");
                CheckInputSchema(instance, "update", $"{path}.service_instance");
            }
            var binding = OptionalObject(schemas, "service_binding", path, clone: false);
            if (binding is not null)
            {
                CheckInputSchema(binding, "create", $"{path}.service_binding");
            }
        }

        private void CheckInputSchema(JsonObject owner, string name, string path)
        {
            var input = OptionalObject(owner, name, path, clone: false);
            if (input is null)
            {
                return;
            }
            var parameters = OptionalObject(input, "parameters", $"{path}.{name}", clone: false);
            if (parameters is null)
            {
                return;
            }
            var parametersPath = $"{path}.{name}.parameters";
            if (!parameters.TryGetPropertyValue("$schema", out var schemaVersion) || schemaVersion is null)
            {
                Errors.Add($"{parametersPath}: the \"$schema\" key is required, declaring the JSON Schema version");
            }
            else if (schemaVersion.GetValueKind() != JsonValueKind.String)
            {
                Errors.Add($"{parametersPath}.$schema: must be a string, not {OsbText.KindOf(schemaVersion)}");
            }
            var size = Encoding.UTF8.GetByteCount(parameters.ToJsonString());
            if (size > MaxSchemaBytes)
            {
                Errors.Add($"{parametersPath}: is {OsbText.Bytes(size)}; schemas MUST NOT be larger than 64 kB");
            }
        }

        private void ClaimId(string? id, string path)
        {
            if (id is null)
            {
                return;
            }
            if (_idPaths.TryGetValue(id, out var first))
            {
                Errors.Add($"{path}.id: \"{id}\" is also the id of {first}; ids MUST be unique across the catalog");
            }
            else
            {
                _idPaths[id] = path;
            }
        }

        private void CheckName(string? name, string path, string what)
        {
            if (name is null)
            {
                return;
            }
            if (!CliFriendly().IsMatch(name))
            {
                Warnings.Add($"{path}.name: \"{name}\" is not CLI-friendly (the spec recommends letters, digits, periods and hyphens) for a {what}");
            }
            CheckLength(name, $"{path}.name");
        }

        private void CheckLength(string? value, string path)
        {
            if (value is not null && value.Length > RecommendedMaxLength)
            {
                Warnings.Add($"{path}: is {value.Length.ToString(CultureInfo.InvariantCulture)} characters; the spec recommends at most {RecommendedMaxLength}");
            }
        }

        private string? RequiredString(JsonObject owner, string name, string path)
        {
            if (!owner.TryGetPropertyValue(name, out var node) || node is null)
            {
                Errors.Add($"{path}.{name}: required");
                return null;
            }
            if (node.GetValueKind() != JsonValueKind.String)
            {
                Errors.Add($"{path}.{name}: must be a string, not {OsbText.KindOf(node)}");
                return null;
            }
            var value = node.GetValue<string>();
            if (string.IsNullOrWhiteSpace(value))
            {
                Errors.Add($"{path}.{name}: must be a non-empty string");
                return null;
            }
            return value;
        }

        private void OptionalString(JsonObject owner, string name, string path)
        {
            if (owner.TryGetPropertyValue(name, out var node) && node is not null && node.GetValueKind() != JsonValueKind.String)
            {
                Errors.Add($"{path}.{name}: must be a string, not {OsbText.KindOf(node)}");
            }
        }

        private bool? RequiredBool(JsonObject owner, string name, string path)
        {
            if (!owner.TryGetPropertyValue(name, out var node) || node is null)
            {
                Errors.Add($"{path}.{name}: required (true or false)");
                return null;
            }
            return Bool(node, $"{path}.{name}");
        }

        private bool? OptionalBool(JsonObject owner, string name, string path) =>
            owner.TryGetPropertyValue(name, out var node) && node is not null ? Bool(node, $"{path}.{name}") : null;

        private bool? Bool(JsonNode node, string path)
        {
            var kind = node.GetValueKind();
            if (kind is JsonValueKind.True or JsonValueKind.False)
            {
                return kind == JsonValueKind.True;
            }
            Errors.Add($"{path}: must be a boolean, not {OsbText.KindOf(node)}");
            return null;
        }

        private List<string> OptionalStrings(JsonObject owner, string name, string path)
        {
            var result = new List<string>();
            if (!owner.TryGetPropertyValue(name, out var node) || node is null)
            {
                return result;
            }
            if (node is not JsonArray array)
            {
                Errors.Add($"{path}.{name}: must be an array of strings, not {OsbText.KindOf(node)}");
                return result;
            }
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is { } item && item.GetValueKind() == JsonValueKind.String)
                {
                    result.Add(item.GetValue<string>());
                }
                else
                {
                    Errors.Add($"{path}.{name}[{i}]: must be a string, not {OsbText.KindOf(array[i])}");
                }
            }
            return result;
        }

        private JsonObject? OptionalObject(JsonObject owner, string name, string path, bool clone = true)
        {
            if (!owner.TryGetPropertyValue(name, out var node) || node is null)
            {
                return null;
            }
            if (node is not JsonObject obj)
            {
                Errors.Add($"{path}.{name}: must be an object, not {OsbText.KindOf(node)}");
                return null;
            }
            // The catalog's records own their objects; the parsed document is thrown away.
            return clone ? obj.DeepClone().AsObject() : obj;
        }

        private int? OptionalPositiveInt(JsonObject owner, string name, string path)
        {
            if (!owner.TryGetPropertyValue(name, out var node) || node is null)
            {
                return null;
            }
            if (node.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue<long>(out var value) && value is > 0 and <= int.MaxValue)
            {
                return (int)value;
            }
            var shown = node.GetValueKind() == JsonValueKind.Number ? node.ToJsonString() : OsbText.KindOf(node);
            Errors.Add($"{path}.{name}: must be a positive whole number of seconds, not {shown}");
            return null;
        }
    }
}
