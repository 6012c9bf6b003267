using System.Net;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests;

public sealed class PlatformTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    [Fact]
    public async Task Root_describes_the_platform_and_its_token_endpoint()
    {
        using var client = server.Anonymous();
        var body = (await client.GetJsonAsync("/")).Expect(HttpStatusCode.OK);
        Assert.Equal("3", body.GetProperty("ravioli").GetProperty("api_version").GetString());
        Assert.Equal("apps.localhost", body.GetProperty("ravioli").GetProperty("apps_domain").GetString());
        Assert.Equal(server.BaseUrl + "/oauth/token", body.GetProperty("ravioli").GetProperty("token_endpoint").GetString());
        Assert.Equal(server.BaseUrl + "/v3", body.GetProperty("links").GetProperty("cloud_controller_v3").GetProperty("href").GetString());
    }

    [Fact]
    public async Task Healthz_answers_ok_once_migrated()
    {
        using var client = server.Anonymous();
        var body = (await client.GetJsonAsync("/healthz")).Expect(HttpStatusCode.OK);
        Assert.Equal("ok", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task OpenApi_document_lists_the_v3_endpoints()
    {
        using var client = server.Anonymous();
        var body = (await client.GetJsonAsync("/openapi/v1.json")).Expect(HttpStatusCode.OK);
        var paths = body.GetProperty("paths");
        foreach (var path in new[] { "/v3/organizations", "/v3/spaces/{guid}", "/v3/roles", "/v3/apps/{guid}/environment_variables", "/oauth/token" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"OpenAPI lacks {path}");
        }
    }

    [Theory]
    [InlineData("/no/such/thing")]
    [InlineData("/v3/no_such_collection")]
    public async Task Unknown_routes_are_problem_json_not_html(string path)
    {
        using var client = await server.AdminClientAsync();
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("urn:ravioli:problem:not-found", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_method_is_a_405_problem()
    {
        using var client = await server.AdminClientAsync();
        var (status, body) = await client.SendAsync(HttpMethod.Put, "/v3/organizations");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Equal("urn:ravioli:problem:method-not-allowed", body.GetProperty("type").GetString());
    }

    [Fact]
    public async Task V3_needs_a_token()
    {
        using var client = server.Anonymous();
        using var response = await client.GetAsync("/v3/organizations");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }
}
