using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Ravioli.Testing;

/// <summary>Small helpers for talking JSON to the API in tests, with failures that show the response body.</summary>
public static class Http
{
    /// <summary>How the API writes JSON (snake_case), for reading responses into its own records.</summary>
    public static readonly JsonSerializerOptions ApiJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(this HttpClient client, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = body is string raw
                ? new StringContent(raw, Encoding.UTF8, "application/json")
                : JsonContent.Create(body);
        }
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return (response.StatusCode, json);
    }

    public static Task<(HttpStatusCode Status, JsonElement Body)> GetJsonAsync(this HttpClient client, string path) => client.SendAsync(HttpMethod.Get, path);

    public static Task<(HttpStatusCode Status, JsonElement Body)> PostJsonAsync(this HttpClient client, string path, object body) => client.SendAsync(HttpMethod.Post, path, body);

    public static Task<(HttpStatusCode Status, JsonElement Body)> PatchJsonAsync(this HttpClient client, string path, object body) => client.SendAsync(HttpMethod.Patch, path, body);

    public static Task<(HttpStatusCode Status, JsonElement Body)> DeleteJsonAsync(this HttpClient client, string path) => client.SendAsync(HttpMethod.Delete, path);

    /// <summary>Asserts the status and returns the body; on mismatch the message carries the body, which usually says why.</summary>
    public static JsonElement Expect(this (HttpStatusCode Status, JsonElement Body) result, HttpStatusCode expected)
    {
        Assert.True(result.Status == expected, $"expected {(int)expected} {expected}, got {(int)result.Status} {result.Status}: {result.Body}");
        return result.Body;
    }

    public static string Guid(this JsonElement resource) => resource.GetProperty("guid").GetString()!;
}
