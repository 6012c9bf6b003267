using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Ravioli.Brokers.RabbitMq;

/// <summary>The few RabbitMQ management HTTP API calls the broker needs, as the administrator.</summary>
internal sealed class RabbitMqManagementClient : IDisposable
{
    private readonly HttpClient _http;

    public RabbitMqManagementClient(int port, string user, string password)
    {
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/api/"), Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
    }

    public async Task<bool> AnswersAsync(CancellationToken ct)
    {
        try
        {
            using var response = await _http.GetAsync("whoami", ct);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    public Task PutVhostAsync(string vhost, CancellationToken ct) =>
        SendAsync(HttpMethod.Put, $"vhosts/{E(vhost)}", new JsonObject { ["description"] = "Ravioli service instance" }, ct);

    public Task DeleteVhostAsync(string vhost, CancellationToken ct) => SendAsync(HttpMethod.Delete, $"vhosts/{E(vhost)}", null, ct);

    public async Task<bool> VhostExistsAsync(string vhost, CancellationToken ct)
    {
        using var response = await _http.GetAsync($"vhosts/{E(vhost)}", ct);
        return response.IsSuccessStatusCode;
    }

    public Task PutUserAsync(string user, string password, CancellationToken ct) =>
        SendAsync(HttpMethod.Put, $"users/{E(user)}", new JsonObject { ["password"] = password, ["tags"] = "management" }, ct);

    public Task DeleteUserAsync(string user, CancellationToken ct) => SendAsync(HttpMethod.Delete, $"users/{E(user)}", null, ct);

    public Task PutPermissionsAsync(string vhost, string user, CancellationToken ct) =>
        SendAsync(HttpMethod.Put, $"permissions/{E(vhost)}/{E(user)}", new JsonObject { ["configure"] = ".*", ["write"] = ".*", ["read"] = ".*" }, ct);

    /// <summary>Closes the user's open AMQP connections (deleting a user does not).</summary>
    public async Task CloseConnectionsAsync(string user, CancellationToken ct)
    {
        var connections = await _http.GetFromJsonAsync<JsonArray>("connections?columns=name,user", ct) ?? [];
        foreach (var connection in connections.OfType<JsonObject>())
        {
            if (connection["user"]?.GetValue<string>() == user && connection["name"]?.GetValue<string>() is { } name)
            {
                await SendAsync(HttpMethod.Delete, $"connections/{E(name)}", null, ct);
            }
        }
    }

    private async Task SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        using var response = await _http.SendAsync(request, ct);
        if (method == HttpMethod.Delete && response.StatusCode == HttpStatusCode.NotFound)
        {
            return;
        }
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            throw new InvalidOperationException($"RabbitMQ management API {method} {path.Split('/')[0]} answered {(int)response.StatusCode}: {(text.Length > 300 ? text[..300] : text)}");
        }
    }

    private static string E(string segment) => Uri.EscapeDataString(segment);

    public void Dispose() => _http.Dispose();
}
