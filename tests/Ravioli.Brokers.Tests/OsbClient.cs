using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Ravioli.Brokers.Tests;

public sealed record OsbReply(HttpStatusCode Status, JsonNode? Body, HttpResponseHeaders Headers)
{
    public string? Description => Body?["description"]?.GetValue<string>();
    public string? Error => Body?["error"]?.GetValue<string>();
    public JsonObject Credentials => Body!["credentials"]!.AsObject();
}

/// <summary>Calls one broker's OSB endpoints the way a platform does (basic auth, X-Broker-API-Version 2.17).</summary>
public sealed class OsbClient(Uri baseAddress, BuiltInBroker broker)
{
    public BuiltInBroker Broker { get; } = broker;

    public string? Username { get; init; } = broker.Username;
    public string? Password { get; init; } = broker.Password;
    public string? Version { get; init; } = "2.17";

    public async Task<OsbReply> SendAsync(HttpMethod method, string path, object? body = null, IDictionary<string, string>? headers = null)
    {
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(3) };
        using var request = new HttpRequestMessage(method, Broker.PathPrefix.TrimStart('/') + "/v2/" + path.TrimStart('/'));
        if (Username is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}")));
        }
        if (Version is not null)
        {
            request.Headers.Add("X-Broker-API-Version", Version);
        }
        foreach (var (k, v) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.Add(k, v);
        }
        if (body is not null)
        {
            var text = body as string ?? (body as JsonNode ?? JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(body)))!.ToJsonString();
            request.Content = new StringContent(text, Encoding.UTF8, "application/json");
        }
        using var response = await http.SendAsync(request);
        var content = await response.Content.ReadAsStringAsync();
        JsonNode? parsed = null;
        if (content.Length > 0)
        {
            try
            {
                parsed = JsonNode.Parse(content);
            }
            catch (System.Text.Json.JsonException)
            {
                parsed = new JsonObject { ["raw"] = content };
            }
        }
        return new OsbReply(response.StatusCode, parsed, response.Headers);
    }

    public Task<OsbReply> CatalogAsync() => SendAsync(HttpMethod.Get, "catalog");

    public async Task<(string ServiceId, JsonObject Plan)> PlanAsync(string name)
    {
        var catalog = await CatalogAsync();
        var service = catalog.Body!["services"]![0]!;
        var plan = service["plans"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == name)!.AsObject();
        return (service["id"]!.GetValue<string>(), plan);
    }

    public static JsonObject ProvisionBody(string serviceId, string planId, JsonObject? parameters = null)
    {
        var body = new JsonObject
        {
            ["service_id"] = serviceId,
            ["plan_id"] = planId,
            ["organization_guid"] = "org-1",
            ["space_guid"] = "space-1",
            ["context"] = new JsonObject { ["platform"] = "ravioli" },
        };
        if (parameters is not null)
        {
            body["parameters"] = parameters;
        }
        return body;
    }

    public Task<OsbReply> ProvisionAsync(string id, JsonObject body, bool acceptsIncomplete = false) =>
        SendAsync(HttpMethod.Put, $"service_instances/{id}{(acceptsIncomplete ? "?accepts_incomplete=true" : "")}", body);

    public Task<OsbReply> FetchAsync(string id) => SendAsync(HttpMethod.Get, $"service_instances/{id}");

    public Task<OsbReply> UpdateAsync(string id, JsonObject body) => SendAsync(HttpMethod.Patch, $"service_instances/{id}?accepts_incomplete=true", body);

    public Task<OsbReply> DeprovisionAsync(string id, string serviceId, string planId, bool acceptsIncomplete = false) =>
        SendAsync(HttpMethod.Delete, $"service_instances/{id}?service_id={serviceId}&plan_id={planId}{(acceptsIncomplete ? "&accepts_incomplete=true" : "")}");

    public Task<OsbReply> LastOperationAsync(string id, string? operation = null) =>
        SendAsync(HttpMethod.Get, $"service_instances/{id}/last_operation{(operation is null ? "" : "?operation=" + Uri.EscapeDataString(operation))}");

    public Task<OsbReply> BindAsync(string id, string bindingId, string serviceId, string planId, JsonObject? parameters = null)
    {
        var body = new JsonObject
        {
            ["service_id"] = serviceId,
            ["plan_id"] = planId,
            ["app_guid"] = "app-1",
            ["bind_resource"] = new JsonObject { ["app_guid"] = "app-1" },
        };
        if (parameters is not null)
        {
            body["parameters"] = parameters;
        }
        return SendAsync(HttpMethod.Put, $"service_instances/{id}/service_bindings/{bindingId}", body);
    }

    public Task<OsbReply> FetchBindingAsync(string id, string bindingId) => SendAsync(HttpMethod.Get, $"service_instances/{id}/service_bindings/{bindingId}");

    public Task<OsbReply> UnbindAsync(string id, string bindingId, string serviceId, string planId) =>
        SendAsync(HttpMethod.Delete, $"service_instances/{id}/service_bindings/{bindingId}?service_id={serviceId}&plan_id={planId}");

    /// <summary>Polls last_operation until it is no longer "in progress" (or the instance is gone: 410).</summary>
    public async Task<OsbReply> WaitAsync(string id, string? operation, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        while (true)
        {
            var reply = await LastOperationAsync(id, operation);
            if (reply.Status != HttpStatusCode.OK || reply.Body!["state"]!.GetValue<string>() != "in progress")
            {
                return reply;
            }
            Assert.True(reply.Headers.RetryAfter is not null, "an in-progress last_operation carries Retry-After");
            Assert.True(DateTime.UtcNow < deadline, $"operation {operation} still in progress after the timeout");
            await Task.Delay(200);
        }
    }
}
