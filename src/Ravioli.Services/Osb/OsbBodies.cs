using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ravioli.Services.Osb;

/// <summary>
/// Reads the bodies of successful answers. Each reader returns the value or, when the body breaks the spec, a phrase
/// that completes "the broker answered 201 with …". Unknown fields are ignored.
/// </summary>
internal static class OsbBodies
{
    /// <summary>"If present, MUST NOT contain more than 10,000 characters."</summary>
    public const int MaxOperationLength = 10_000;

    public readonly record struct Parsed<T>(T? Value, string? Problem)
    {
        public static Parsed<T> Ok(T value) => new(value, null);

        public static Parsed<T> Bad(string problem) => new(default, problem);
    }

    public static Parsed<JsonObject> Object(byte[] body)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return Parsed<JsonObject>.Bad(body.Length == 0 ? "an empty body instead of a JSON object" : "a body that is not JSON");
        }
        return node is JsonObject obj ? Parsed<JsonObject>.Ok(obj) : Parsed<JsonObject>.Bad($"a body that is {OsbText.KindOf(node)}, not a JSON object");
    }

    public static Parsed<OsbProvisionResponse> Provision(JsonObject body)
    {
        var problem = String(body, "dashboard_url", out var dashboardUrl);
        var operationProblem = Operation(body, out var operation);
        problem ??= operationProblem;
        return problem is null ? Parsed<OsbProvisionResponse>.Ok(new OsbProvisionResponse(dashboardUrl, operation)) : Parsed<OsbProvisionResponse>.Bad(problem);
    }

    public static Parsed<OsbOperationResponse> Operation(JsonObject body)
    {
        var problem = Operation(body, out var operation);
        return problem is null ? Parsed<OsbOperationResponse>.Ok(new OsbOperationResponse(operation)) : Parsed<OsbOperationResponse>.Bad(problem);
    }

    /// <summary>A 202 to a bind carries only an operation; the spec forbids credentials there, so any are ignored.</summary>
    public static Parsed<OsbBindResponse> BindAccepted(JsonObject body)
    {
        var problem = Operation(body, out var operation);
        return problem is null ? Parsed<OsbBindResponse>.Ok(new OsbBindResponse(null, null, null, null, operation)) : Parsed<OsbBindResponse>.Bad(problem);
    }

    public static Parsed<OsbFetchInstanceResponse> Instance(JsonObject body)
    {
        JsonObject? parameters = null;
        if (body.TryGetPropertyValue("parameters", out var node) && node is not null)
        {
            if (node is not JsonObject obj)
            {
                return Parsed<OsbFetchInstanceResponse>.Bad($"\"parameters\" that is {OsbText.KindOf(node)}, not an object");
            }
            parameters = obj.DeepClone().AsObject();
        }
        var problem = First(
            String(body, "service_id", out var serviceId),
            String(body, "plan_id", out var planId),
            String(body, "dashboard_url", out var dashboardUrl));
        return problem is null
            ? Parsed<OsbFetchInstanceResponse>.Ok(new OsbFetchInstanceResponse(serviceId, planId, dashboardUrl, parameters))
            : Parsed<OsbFetchInstanceResponse>.Bad(problem);
    }

    public static Parsed<OsbBindResponse> Binding(JsonObject body)
    {
        JsonObject? credentials = null;
        if (body.TryGetPropertyValue("credentials", out var credentialsNode) && credentialsNode is not null)
        {
            if (credentialsNode is not JsonObject obj)
            {
                return Parsed<OsbBindResponse>.Bad($"\"credentials\" that is {OsbText.KindOf(credentialsNode)}, not an object");
            }
            credentials = obj.DeepClone().AsObject();
        }
        var problem = First(
            String(body, "syslog_drain_url", out var syslogDrainUrl),
            String(body, "route_service_url", out var routeServiceUrl),
            VolumeMounts(body, out var volumeMounts));
        return problem is null
            ? Parsed<OsbBindResponse>.Ok(new OsbBindResponse(credentials, syslogDrainUrl, routeServiceUrl, volumeMounts, null))
            : Parsed<OsbBindResponse>.Bad(problem);
    }

    public static Parsed<OsbLastOperation> LastOperation(JsonObject body)
    {
        if (!body.TryGetPropertyValue("state", out var stateNode) || stateNode is null)
        {
            return Parsed<OsbLastOperation>.Bad("no \"state\"");
        }
        if (stateNode.GetValueKind() != JsonValueKind.String)
        {
            return Parsed<OsbLastOperation>.Bad($"a \"state\" that is {OsbText.KindOf(stateNode)}, not a string");
        }
        var state = stateNode.GetValue<string>();
        if (state is not (OsbLastOperation.InProgressState or OsbLastOperation.SucceededState or OsbLastOperation.FailedState))
        {
            return Parsed<OsbLastOperation>.Bad($"the state \"{Shorten(state)}\", which is none of \"in progress\", \"succeeded\" and \"failed\"");
        }
        var problem = First(
            String(body, "description", out var description),
            Bool(body, "instance_usable", out var instanceUsable),
            Bool(body, "update_repeatable", out var updateRepeatable));
        return problem is null
            ? Parsed<OsbLastOperation>.Ok(new OsbLastOperation(state, string.IsNullOrEmpty(description) ? null : description, instanceUsable, updateRepeatable))
            : Parsed<OsbLastOperation>.Bad(problem);
    }

    /// <summary>The spec's error fields, read from whatever parts of an error body are well-formed.</summary>
    public static (string? Code, string? Description, bool? InstanceUsable, bool? UpdateRepeatable) Error(byte[] body)
    {
        var parsed = Object(body);
        if (parsed.Value is not { } obj)
        {
            return default;
        }
        String(obj, "error", out var code);
        String(obj, "description", out var description);
        Bool(obj, "instance_usable", out var instanceUsable);
        Bool(obj, "update_repeatable", out var updateRepeatable);
        return (string.IsNullOrWhiteSpace(code) ? null : code, string.IsNullOrWhiteSpace(description) ? null : description, instanceUsable, updateRepeatable);
    }

    private static string? Operation(JsonObject body, out string? operation)
    {
        var problem = String(body, "operation", out operation);
        if (problem is null && operation is { Length: > MaxOperationLength })
        {
            operation = null;
            return "an \"operation\" longer than 10,000 characters";
        }
        return problem;
    }

    private static string? VolumeMounts(JsonObject body, out JsonArray? volumeMounts)
    {
        volumeMounts = null;
        if (!body.TryGetPropertyValue("volume_mounts", out var node) || node is null)
        {
            return null;
        }
        if (node is not JsonArray array)
        {
            return $"\"volume_mounts\" that is {OsbText.KindOf(node)}, not an array";
        }
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject mount)
            {
                return $"\"volume_mounts[{i}]\" that is {OsbText.KindOf(array[i])}, not an object";
            }
            foreach (var field in (string[])["driver", "container_dir", "mode", "device_type"])
            {
                if (!mount.TryGetPropertyValue(field, out var value) || value?.GetValueKind() != JsonValueKind.String)
                {
                    return $"\"volume_mounts[{i}]\" without the string \"{field}\" the spec requires";
                }
            }
            if (mount["mode"]!.GetValue<string>() is not ("r" or "rw"))
            {
                return $"\"volume_mounts[{i}].mode\" that is neither \"r\" nor \"rw\"";
            }
            if (mount["device"] is not JsonObject device || device["volume_id"]?.GetValueKind() != JsonValueKind.String)
            {
                return $"\"volume_mounts[{i}]\" without a \"device\" object holding a string \"volume_id\"";
            }
        }
        volumeMounts = array.DeepClone().AsArray();
        return null;
    }

    private static string? String(JsonObject body, string name, out string? value)
    {
        value = null;
        if (!body.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }
        if (node.GetValueKind() != JsonValueKind.String)
        {
            return $"\"{name}\" that is {OsbText.KindOf(node)}, not a string";
        }
        value = node.GetValue<string>();
        return null;
    }

    private static string? Bool(JsonObject body, string name, out bool? value)
    {
        value = null;
        if (!body.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }
        var kind = node.GetValueKind();
        if (kind is not (JsonValueKind.True or JsonValueKind.False))
        {
            return $"\"{name}\" that is {OsbText.KindOf(node)}, not a boolean";
        }
        value = kind == JsonValueKind.True;
        return null;
    }

    private static string? First(params string?[] problems) => problems.FirstOrDefault(p => p is not null);

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
