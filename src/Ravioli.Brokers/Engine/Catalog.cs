using System.Globalization;
using System.Text.Json.Nodes;

namespace Ravioli.Brokers.Engine;

/// <summary>One accepted configuration parameter of a plan; the catalog's JSON schema is generated from these.</summary>
internal sealed record ParameterSpec(string Name, string Description, IReadOnlyList<string> Allowed)
{
    /// <summary>Null when <paramref name="value"/> is acceptable, else a message naming the field.</summary>
    public string? Validate(JsonNode? value)
    {
        if (value is not JsonValue v || !v.TryGetValue<string>(out var text))
        {
            return $"parameter '{Name}' must be a string, one of: {string.Join(", ", Allowed)}";
        }
        return Allowed.Contains(text, StringComparer.Ordinal)
            ? null
            : $"parameter '{Name}' has the value '{text}'; allowed are: {string.Join(", ", Allowed)}";
    }

    public JsonObject ToSchema() => new()
    {
        ["type"] = "string",
        ["description"] = Description,
        ["enum"] = new JsonArray([.. Allowed.Select(a => (JsonNode)JsonValue.Create(a))]),
    };
}

/// <summary>A plan as this broker implements it: which operations are asynchronous and what it accepts.</summary>
internal sealed record PlanDefinition(string Id, string Name, string Description)
{
    public bool AsyncProvision { get; init; }
    public bool AsyncDeprovision { get; init; }
    public JsonObject Metadata { get; init; } = [];
    public IReadOnlyList<ParameterSpec> Parameters { get; init; } = [];
    /// <summary>Plans an instance of this plan may be changed to with an update.</summary>
    public IReadOnlyList<string> UpdatableTo { get; init; } = [];

    /// <summary>Null when the parameters are acceptable for this plan, else a user-facing reason.</summary>
    public string? ValidateParameters(JsonObject? parameters)
    {
        if (parameters is null || parameters.Count == 0)
        {
            return null;
        }
        foreach (var (key, value) in parameters)
        {
            var spec = Parameters.FirstOrDefault(p => string.Equals(p.Name, key, StringComparison.Ordinal));
            if (spec is null)
            {
                return Parameters.Count == 0
                    ? $"unknown parameter '{key}': plan '{Name}' accepts no parameters"
                    : $"unknown parameter '{key}': plan '{Name}' accepts only {string.Join(", ", Parameters.Select(p => p.Name))}";
            }
            if (spec.Validate(value) is { } error)
            {
                return error;
            }
        }
        return null;
    }

    public JsonObject ToJson(bool planUpdateable)
    {
        var plan = new JsonObject
        {
            ["id"] = Id,
            ["name"] = Name,
            ["description"] = Description,
            ["free"] = true,
            ["bindable"] = true,
            ["plan_updateable"] = planUpdateable && UpdatableTo.Count > 0,
            ["metadata"] = Metadata.DeepClone(),
        };
        var properties = new JsonObject();
        foreach (var p in Parameters)
        {
            properties[p.Name] = p.ToSchema();
        }
        JsonObject Schema() => new()
        {
            ["parameters"] = new JsonObject
            {
                ["$schema"] = "http://json-schema.org/draft-04/schema#",
                ["type"] = "object",
                ["additionalProperties"] = false,
                ["properties"] = properties.DeepClone(),
            },
        };
        plan["schemas"] = new JsonObject
        {
            ["service_instance"] = new JsonObject { ["create"] = Schema(), ["update"] = Schema() },
            ["service_binding"] = new JsonObject { ["create"] = Empty(Schema()) },
        };
        if (AsyncProvision || AsyncDeprovision)
        {
            plan["maximum_polling_duration"] = 600;
        }
        return plan;
    }

    private static JsonObject Empty(JsonObject schema)
    {
        schema["parameters"]!["properties"] = new JsonObject();
        return schema;
    }
}

/// <summary>A service offering of one built-in broker.</summary>
internal sealed record ServiceDefinition(string Id, string Name, string Description, IReadOnlyList<string> Tags, IReadOnlyList<PlanDefinition> Plans)
{
    public JsonObject Metadata { get; init; } = [];

    public PlanDefinition? FindPlan(string? planId) => Plans.FirstOrDefault(p => string.Equals(p.Id, planId, StringComparison.Ordinal));

    public JsonObject ToJson()
    {
        var updateable = Plans.Any(p => p.UpdatableTo.Count > 0);
        return new JsonObject
        {
            ["id"] = Id,
            ["name"] = Name,
            ["description"] = Description,
            ["tags"] = new JsonArray([.. Tags.Select(t => (JsonNode)JsonValue.Create(t))]),
            ["bindable"] = true,
            ["instances_retrievable"] = true,
            ["bindings_retrievable"] = true,
            ["allow_context_updates"] = false,
            ["plan_updateable"] = updateable,
            ["metadata"] = Metadata.DeepClone(),
            ["plans"] = new JsonArray([.. Plans.Select(p => (JsonNode)p.ToJson(updateable))]),
        };
    }
}

internal static class Units
{
    /// <summary>Parses redis-style sizes ("64mb") to bytes.</summary>
    public static long ParseBytes(string size)
    {
        var s = size.Trim().ToLowerInvariant();
        long factor = 1;
        foreach (var (suffix, f) in new[] { ("gb", 1L << 30), ("mb", 1L << 20), ("kb", 1L << 10), ("b", 1L) })
        {
            if (s.EndsWith(suffix, StringComparison.Ordinal))
            {
                factor = f;
                s = s[..^suffix.Length];
                break;
            }
        }
        return long.Parse(s, CultureInfo.InvariantCulture) * factor;
    }
}
