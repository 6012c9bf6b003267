using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests;

public sealed class TokenTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    private async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> GrantAsync(params (string Key, string Value)[] form)
    {
        using var client = server.Anonymous();
        var response = await client.PostAsync("/oauth/token", new FormUrlEncodedContent(form.Select(f => new KeyValuePair<string, string>(f.Key, f.Value))));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    private async Task<string> NewUserAsync(string password = "correct-horse")
    {
        using var admin = await server.AdminClientAsync();
        var name = "u" + Guid.NewGuid().ToString("N")[..10];
        (await admin.PostJsonAsync("/v3/users", new { username = name, password })).Expect(HttpStatusCode.Created);
        return name;
    }

    private HttpClient WithToken(string token)
    {
        var client = server.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task Password_grant_returns_uaa_shaped_tokens_that_work()
    {
        var (status, body, _) = await GrantAsync(("grant_type", "password"), ("username", "admin"), ("password", server.AdminPassword));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(20 * 60, body.GetProperty("expires_in").GetInt32());
        Assert.Contains("cloud_controller.admin", body.GetProperty("scope").GetString(), StringComparison.Ordinal);
        using var client = WithToken(body.GetProperty("access_token").GetString()!);
        (await client.GetJsonAsync("/v3/organizations")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Usernames_are_case_insensitive_at_login()
    {
        var name = await NewUserAsync();
        var (status, _, _) = await GrantAsync(("grant_type", "password"), ("username", name.ToUpperInvariant()), ("password", "correct-horse"));
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Wrong_password_is_invalid_grant_without_saying_which_part_was_wrong()
    {
        var name = await NewUserAsync();
        var wrongPassword = await GrantAsync(("grant_type", "password"), ("username", name), ("password", "nope-nope"));
        var noSuchUser = await GrantAsync(("grant_type", "password"), ("username", "nobody-" + name), ("password", "nope-nope"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword.Status);
        Assert.Equal("invalid_grant", wrongPassword.Body.GetProperty("error").GetString());
        Assert.Equal(wrongPassword.Body.GetProperty("detail").GetString(), noSuchUser.Body.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("client_credentials")]
    [InlineData("")]
    public async Task Unsupported_grant_is_a_400(string grant)
    {
        var (status, body, _) = await GrantAsync(("grant_type", grant));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unsupported_grant_type", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_endpoint_wants_a_form()
    {
        using var client = server.Anonymous();
        var (status, _) = await client.PostJsonAsync("/oauth/token", new { grant_type = "password", username = "admin", password = "x" });
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
    }

    [Fact]
    public async Task Refresh_rotates_the_refresh_token_and_a_reused_one_revokes_the_family()
    {
        var name = await NewUserAsync();
        var first = (await GrantAsync(("grant_type", "password"), ("username", name), ("password", "correct-horse"))).Body;
        var refresh1 = first.GetProperty("refresh_token").GetString()!;
        var second = await GrantAsync(("grant_type", "refresh_token"), ("refresh_token", refresh1));
        Assert.Equal(HttpStatusCode.OK, second.Status);
        var refresh2 = second.Body.GetProperty("refresh_token").GetString()!;
        Assert.NotEqual(refresh1, refresh2);

        var replay = await GrantAsync(("grant_type", "refresh_token"), ("refresh_token", refresh1));
        Assert.Equal(HttpStatusCode.Unauthorized, replay.Status);
        // The replay proves a copy exists, so the newer token dies too.
        var afterReplay = await GrantAsync(("grant_type", "refresh_token"), ("refresh_token", refresh2));
        Assert.Equal(HttpStatusCode.Unauthorized, afterReplay.Status);
    }

    [Fact]
    public async Task Revoked_refresh_token_no_longer_refreshes()
    {
        var name = await NewUserAsync();
        var tokens = (await GrantAsync(("grant_type", "password"), ("username", name), ("password", "correct-horse"))).Body;
        var refresh = tokens.GetProperty("refresh_token").GetString()!;
        using var client = server.Anonymous();
        using var revoke = await client.PostAsync("/oauth/revoke", new FormUrlEncodedContent([new("token", refresh)]));
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        var (status, body, _) = await GrantAsync(("grant_type", "refresh_token"), ("refresh_token", refresh));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Expired_access_token_is_refused_with_advice_and_refresh_still_works()
    {
        var name = await NewUserAsync();
        var tokens = (await GrantAsync(("grant_type", "password"), ("username", name), ("password", "correct-horse"))).Body;
        using var client = WithToken(tokens.GetProperty("access_token").GetString()!);
        (await client.GetJsonAsync("/v3/organizations")).Expect(HttpStatusCode.OK);

        server.Time.Advance(TimeSpan.FromMinutes(21));
        var expired = await client.GetJsonAsync("/v3/organizations");
        Assert.Equal(HttpStatusCode.Unauthorized, expired.Status);
        Assert.Contains("expired", expired.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var refreshed = await GrantAsync(("grant_type", "refresh_token"), ("refresh_token", tokens.GetProperty("refresh_token").GetString()!));
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        using var again = WithToken(refreshed.Body.GetProperty("access_token").GetString()!);
        (await again.GetJsonAsync("/v3/organizations")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Tampered_token_is_refused()
    {
        var tokens = (await GrantAsync(("grant_type", "password"), ("username", "admin"), ("password", server.AdminPassword))).Body;
        var parts = tokens.GetProperty("access_token").GetString()!.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace("\"admin\"", "\"root\"", StringComparison.Ordinal);
        var forged = $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";
        using var client = WithToken(forged);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetJsonAsync("/v3/organizations")).Status);
    }

    [Theory]
    [InlineData("ravioli", "ravioli-api", true)]
    [InlineData("ravioli", "someone-else", false)]
    [InlineData("evil", "ravioli-api", false)]
    public async Task Token_signed_by_another_key_is_refused_whatever_it_claims(string issuer, string audience, bool rightClaims)
    {
        using var admin = await server.AdminClientAsync();
        var me = (await admin.GetJsonAsync("/v3/users?usernames=admin")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        using var rsa = RSA.Create(2048);
        var now = server.Time.GetUtcNow().UtcDateTime;
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(5),
            Claims = new Dictionary<string, object> { ["sub"] = me },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256),
        });
        using var client = WithToken(forged);
        var (status, body) = await client.GetJsonAsync("/v3/organizations");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.True(rightClaims || body.GetProperty("detail").GetString()!.Length > 0);
    }

    [Fact]
    public async Task Unsigned_alg_none_token_is_refused()
    {
        using var admin = await server.AdminClientAsync();
        var me = (await admin.GetJsonAsync("/v3/users?usernames=admin")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        var exp = server.Time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds();
        var header = Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        var payload = Base64UrlEncoder.Encode($"{{\"sub\":\"{me}\",\"iss\":\"ravioli\",\"aud\":\"ravioli-api\",\"exp\":{exp}}}");
        using var client = WithToken($"{header}.{payload}.");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetJsonAsync("/v3/organizations")).Status);
    }

    [Fact]
    public async Task Deleted_users_token_stops_working_at_once()
    {
        var name = await NewUserAsync();
        using var user = await server.LoginAsync(name, "correct-horse");
        (await user.GetJsonAsync("/v3/organizations")).Expect(HttpStatusCode.OK);
        using var admin = await server.AdminClientAsync();
        var guid = (await admin.GetJsonAsync($"/v3/users?usernames={name}")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        (await admin.DeleteJsonAsync($"/v3/users/{guid}")).Expect(HttpStatusCode.NoContent);
        var (status, body) = await user.GetJsonAsync("/v3/organizations");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("no longer exists", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Repeated_failed_logins_are_throttled_then_allowed_again()
    {
        var name = await NewUserAsync();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await GrantAsync(("grant_type", "password"), ("username", name), ("password", "wrong-" + i))).Status);
        }
        var locked = await GrantAsync(("grant_type", "password"), ("username", name), ("password", "correct-horse"));
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.Status);
        Assert.True(locked.Response.Headers.RetryAfter?.Delta > TimeSpan.Zero);

        server.Time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(HttpStatusCode.OK, (await GrantAsync(("grant_type", "password"), ("username", name), ("password", "correct-horse"))).Status);
    }

    [Fact]
    public async Task Jwks_publishes_the_key_that_signs_tokens()
    {
        using var client = server.Anonymous();
        var jwks = await client.GetFromJsonAsync<JsonElement>("/.well-known/jwks.json");
        var key = new JsonWebKey(jwks.GetProperty("keys")[0].GetRawText());
        var token = (await GrantAsync(("grant_type", "password"), ("username", "admin"), ("password", server.AdminPassword))).Body.GetProperty("access_token").GetString()!;
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKey = key,
            ValidIssuer = "ravioli",
            ValidAudience = "ravioli-api",
            LifetimeValidator = (_, _, _, _) => true,
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal(key.Kid, new JsonWebToken(token).Kid);
    }
}
