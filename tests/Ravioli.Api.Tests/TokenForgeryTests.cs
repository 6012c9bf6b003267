using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests;

/// <summary>
/// Tokens an attacker can make: signed with the platform's own key but claiming the wrong audience, issuer or time
/// (so only the claim checks stand between them and the API), signed with other keys or algorithms, unsigned, or
/// malformed; and tokens that were real once (a revoked refresh token, a deleted or demoted user's). Each is refused.
/// </summary>
public sealed class TokenForgeryTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    private const string Issuer = "ravioli";
    private const string Audience = "ravioli-api";

    /// <summary>The platform's signing key, read from its data directory as only the server should: the strongest forger there is.</summary>
    private async Task<RsaSecurityKey> PlatformKeyAsync()
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(server.DataDirectory, "keys", "token-signing.pem")));
        using var client = server.Anonymous();
        var jwks = (await client.GetJsonAsync("/.well-known/jwks.json")).Expect(HttpStatusCode.OK);
        return new RsaSecurityKey(rsa) { KeyId = jwks.GetProperty("keys")[0].GetProperty("kid").GetString() };
    }

    private async Task<string> AdminGuidAsync()
    {
        using var admin = await server.AdminClientAsync();
        return (await admin.GetJsonAsync("/v3/users?usernames=admin")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
    }

    private DateTime Now => server.Time.GetUtcNow().UtcDateTime;

    private static string Sign(SecurityKey key, string algorithm, Action<SecurityTokenDescriptor> shape, IDictionary<string, object>? header = null)
    {
        var descriptor = new SecurityTokenDescriptor { SigningCredentials = new SigningCredentials(key, algorithm), AdditionalHeaderClaims = header };
        shape(descriptor);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    private async Task<(HttpStatusCode Status, string Detail)> UseAsync(string token, string scheme = "Bearer")
    {
        using var client = server.Anonymous();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"{scheme} {token}");
        using var response = await client.GetAsync("/v3/organizations");
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, body.Length == 0 ? "" : JsonDocument.Parse(body).RootElement.TryGetProperty("detail", out var d) ? d.GetString() ?? "" : "");
    }

    private static string B64(string json) => Base64UrlEncoder.Encode(json);

    public static TheoryData<string> PlatformSigned => new()
    {
        "the right claims", "another audience", "no audience", "another issuer", "expired", "expired a minute ago", "not valid yet",
        "no expiry", "no subject", "a subject that never existed", "a subject that is not a string", "issued for the year 9999",
    };

    [Theory]
    [MemberData(nameof(PlatformSigned))]
    public async Task A_token_signed_with_the_platforms_own_key_is_only_accepted_with_the_right_claims(string kind)
    {
        var me = await AdminGuidAsync();
        var now = Now;
        var token = Sign(await PlatformKeyAsync(), SecurityAlgorithms.RsaSha256, d =>
        {
            d.Issuer = kind == "another issuer" ? "https://evil.example.com" : Issuer;
            d.Audience = kind switch { "another audience" => "someone-else", "no audience" => null, _ => Audience };
            d.IssuedAt = now;
            d.NotBefore = kind == "not valid yet" ? now.AddMinutes(10) : now.AddMinutes(-1);
            d.Expires = kind switch
            {
                "expired" => now.AddHours(-1),
                "expired a minute ago" => now.AddMinutes(-1),
                "no expiry" => null,
                "issued for the year 9999" => new DateTime(9999, 1, 1, 0, 0, 0, DateTimeKind.Utc),
                _ => now.AddMinutes(5),
            };
            d.Claims = kind switch
            {
                "no subject" => new Dictionary<string, object> { ["user_name"] = "admin" },
                "a subject that never existed" => new Dictionary<string, object> { ["sub"] = Guid.NewGuid().ToString() },
                "a subject that is not a string" => new Dictionary<string, object> { ["sub"] = new[] { me } },
                _ => new Dictionary<string, object> { ["sub"] = me },
            };
        });
        var (status, detail) = await UseAsync(token);
        if (kind is "the right claims" or "issued for the year 9999")
        {
            // The control: the forging works, so every refusal below is the claim check's doing. (A long life is the
            // key holder's choice; whoever holds the key holds the platform.)
            Assert.Equal(HttpStatusCode.OK, status);
            return;
        }
        Assert.True(status == HttpStatusCode.Unauthorized, $"{kind}: {(int)status} {detail}");
        Assert.False(string.IsNullOrWhiteSpace(detail));
    }

    public static TheoryData<string> Forged => new()
    {
        "alg none", "alg None", "alg NONE", "alg none with the original signature", "HS256 keyed with the public key",
        "HS256 keyed with the public key PEM", "another RSA key", "another RSA key with the platform's kid", "an EC key",
        "an embedded jwk of the attacker's", "a jku pointing elsewhere", "a kid that is a path", "RS256 with the signature of another token",
        "a payload changed after signing", "the signature stripped",
    };

    [Theory]
    [MemberData(nameof(Forged))]
    public async Task Forged_and_confused_tokens_are_refused(string kind)
    {
        var me = await AdminGuidAsync();
        var now = Now;
        void Claims(SecurityTokenDescriptor d)
        {
            d.Issuer = Issuer;
            d.Audience = Audience;
            d.IssuedAt = now;
            d.NotBefore = now.AddMinutes(-1);
            d.Expires = now.AddMinutes(5);
            d.Claims = new Dictionary<string, object> { ["sub"] = me };
        }
        var payload = B64($"{{\"sub\":\"{me}\",\"iss\":\"{Issuer}\",\"aud\":\"{Audience}\",\"exp\":{new DateTimeOffset(now.AddMinutes(5)).ToUnixTimeSeconds()}}}");
        var platform = await PlatformKeyAsync();
        var real = Sign(platform, SecurityAlgorithms.RsaSha256, Claims);
        var publicPem = platform.Rsa.ExportSubjectPublicKeyInfoPem();
        using var attacker = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = kind switch
        {
            "alg none" => $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{payload}.",
            "alg None" => $"{B64("{\"alg\":\"None\",\"typ\":\"JWT\"}")}.{payload}.",
            "alg NONE" => $"{B64("{\"alg\":\"NONE\",\"typ\":\"JWT\"}")}.{payload}.",
            "alg none with the original signature" => $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{real.Split('.')[1]}.{real.Split('.')[2]}",
            "HS256 keyed with the public key" => Sign(new SymmetricSecurityKey(platform.Rsa.ExportSubjectPublicKeyInfo()), SecurityAlgorithms.HmacSha256, Claims),
            "HS256 keyed with the public key PEM" => Sign(new SymmetricSecurityKey(Encoding.ASCII.GetBytes(publicPem)), SecurityAlgorithms.HmacSha256, Claims),
            "another RSA key" => Sign(new RsaSecurityKey(attacker), SecurityAlgorithms.RsaSha256, Claims),
            "another RSA key with the platform's kid" => Sign(new RsaSecurityKey(attacker) { KeyId = platform.KeyId }, SecurityAlgorithms.RsaSha256, Claims),
            "an EC key" => Sign(new ECDsaSecurityKey(ec), SecurityAlgorithms.EcdsaSha256, Claims),
            "an embedded jwk of the attacker's" => Sign(new RsaSecurityKey(attacker), SecurityAlgorithms.RsaSha256, Claims,
                new Dictionary<string, object> { ["jwk"] = JsonSerializer.Deserialize<Dictionary<string, object>>(JsonSerializer.Serialize(JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(attacker.ExportParameters(false)))))! }),
            "a jku pointing elsewhere" => Sign(new RsaSecurityKey(attacker), SecurityAlgorithms.RsaSha256, Claims, new Dictionary<string, object> { ["jku"] = "http://127.0.0.1:9/jwks.json" }),
            "a kid that is a path" => Sign(new RsaSecurityKey(attacker) { KeyId = "../../../../dev/null" }, SecurityAlgorithms.RsaSha256, Claims),
            "RS256 with the signature of another token" => $"{real.Split('.')[0]}.{payload}.{real.Split('.')[2]}",
            "a payload changed after signing" => $"{real.Split('.')[0]}.{B64(Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(real.Split('.')[1])).Replace(me, Guid.NewGuid().ToString(), StringComparison.Ordinal))}.{real.Split('.')[2]}",
            "the signature stripped" => $"{real.Split('.')[0]}.{real.Split('.')[1]}.",
            _ => throw new ArgumentException(kind),
        };
        var (status, detail) = await UseAsync(token);
        Assert.True(status == HttpStatusCode.Unauthorized, $"{kind}: {(int)status} {detail}");
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "Bearer", "" },
        { "Bearer", "." },
        { "Bearer", ".." },
        { "Bearer", "a.b" },
        { "Bearer", "a.b.c.d.e" },
        { "Bearer", "not-a-jwt-at-all" },
        { "Bearer", "eyJhbGciOiJSUzI1NiJ9.%%%%.%%%%" },
        { "Bearer", "eyJ" + new string('A', 20_000) + ".e30.x" },
        { "Bearer", B64("{\"alg\":\"RS256\"") + ".e30.x" },
        { "Bearer", B64("[]") + "." + B64("[]") + "." },
        { "Bearer", B64("{\"alg\":\"RS256\",\"crit\":[\"x-unknown\"]}") + ".e30.AAAA" },
        { "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + RavioliServerFixture.AdminPasswordValue)) },
        { "Digest", "username=\"admin\"" },
        { "Bearer\t", "x" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Malformed_tokens_and_other_schemes_are_a_401_never_a_500(string scheme, string token)
    {
        var (status, detail) = await UseAsync(token, scheme);
        Assert.True(status == HttpStatusCode.Unauthorized, $"{scheme} {token[..Math.Min(40, token.Length)]}: {(int)status} {detail}");
    }

    [Fact]
    public async Task A_token_in_the_query_string_or_a_cookie_is_not_a_credential()
    {
        var token = (await server.TokensAsync("admin", server.AdminPassword)).GetProperty("access_token").GetString()!;
        using var client = server.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"/v3/organizations?access_token={token}")).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v3/organizations");
        request.Headers.Add("Cookie", $"access_token={token}; token={token}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(request)).StatusCode);
    }

    private async Task<(string Username, string Guid)> NewUserAsync(bool admin = false)
    {
        using var client = await server.AdminClientAsync();
        var name = "t" + Guid.NewGuid().ToString("N")[..10];
        var guid = (await client.PostJsonAsync("/v3/users", new { username = name, password = "correct-horse", admin })).Expect(HttpStatusCode.Created).Guid();
        return (name, guid);
    }

    private async Task<HttpStatusCode> RefreshAsync(string refresh)
    {
        using var client = server.Anonymous();
        using var response = await client.PostAsync("/oauth/token", new FormUrlEncodedContent([new("grant_type", "refresh_token"), new("refresh_token", refresh)]));
        return response.StatusCode;
    }

    [Fact]
    public async Task A_deleted_users_refresh_token_is_refused_and_a_new_user_of_the_same_name_is_not_them()
    {
        var (name, guid) = await NewUserAsync();
        var tokens = await server.TokensAsync(name, "correct-horse");
        using (var admin = await server.AdminClientAsync())
        {
            (await admin.DeleteJsonAsync($"/v3/users/{guid}")).Expect(HttpStatusCode.NoContent);
            (await admin.PostJsonAsync("/v3/users", new { username = name, password = "another-password" })).Expect(HttpStatusCode.Created);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, await RefreshAsync(tokens.GetProperty("refresh_token").GetString()!));
        Assert.Equal(HttpStatusCode.Unauthorized, (await UseAsync(tokens.GetProperty("access_token").GetString()!)).Status);
    }

    [Fact]
    public async Task A_password_change_revokes_refresh_tokens_and_an_old_one_stays_revoked()
    {
        var (name, guid) = await NewUserAsync();
        var tokens = await server.TokensAsync(name, "correct-horse");
        using var self = await server.LoginAsync(name, "correct-horse");
        (await self.PatchJsonAsync($"/v3/users/{guid}", new { password = "new-password-1", current_password = "correct-horse" })).Expect(HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.Unauthorized, await RefreshAsync(tokens.GetProperty("refresh_token").GetString()!));
        // A stolen access token cannot take the account over: the current password is asked for.
        (await self.PatchJsonAsync($"/v3/users/{guid}", new { password = "stolen-password" })).Expect(HttpStatusCode.UnprocessableEntity);
        (await self.PatchJsonAsync($"/v3/users/{guid}", new { admin = true })).Expect(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_refresh_token_expires_after_its_lifetime()
    {
        var (name, _) = await NewUserAsync();
        var refresh = (await server.TokensAsync(name, "correct-horse")).GetProperty("refresh_token").GetString()!;
        server.Time.Advance(TimeSpan.FromDays(31));
        Assert.Equal(HttpStatusCode.Unauthorized, await RefreshAsync(refresh));
    }

    [Theory]
    [InlineData("")]
    [InlineData("%00")]
    [InlineData("a%00b")]
    [InlineData("' OR '1'='1")]
    public async Task Hostile_refresh_tokens_and_usernames_are_4xx(string value)
    {
        using var client = server.Anonymous();
        foreach (var form in new[] { $"grant_type=refresh_token&refresh_token={value}", $"grant_type=password&username={value}&password={value}x", $"token={value}" })
        {
            var path = form.StartsWith("token=", StringComparison.Ordinal) ? "/oauth/revoke" : "/oauth/token";
            using var content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded");
            using var response = await client.PostAsync(path, content);
            Assert.True((int)response.StatusCode is >= 400 and < 500 || (path == "/oauth/revoke" && response.StatusCode == HttpStatusCode.OK && !value.Contains('%', StringComparison.Ordinal)),
                $"{path} {form}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task A_demoted_admin_and_a_removed_role_lose_their_rights_with_the_same_token()
    {
        var (name, guid) = await NewUserAsync(admin: true);
        using var user = await server.LoginAsync(name, "correct-horse");
        (await user.PostJsonAsync("/v3/organizations", new { name = "by-" + name })).Expect(HttpStatusCode.Created);
        using var admin = await server.AdminClientAsync();
        (await admin.PatchJsonAsync($"/v3/users/{guid}", new { admin = false })).Expect(HttpStatusCode.OK);
        (await user.PostJsonAsync("/v3/organizations", new { name = "again-by-" + name })).Expect(HttpStatusCode.Forbidden);

        var org = (await admin.GetJsonAsync($"/v3/organizations?names=by-{name}")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        var role = (await admin.PostJsonAsync("/v3/roles", new { type = "organization_manager", relationships = new { user = new { data = new { guid } }, organization = new { data = new { guid = org } } } }))
            .Expect(HttpStatusCode.Created).Guid();
        (await user.GetJsonAsync($"/v3/organizations/{org}")).Expect(HttpStatusCode.OK);
        (await admin.DeleteJsonAsync($"/v3/roles/{role}")).Expect(HttpStatusCode.NoContent);
        // Still an organization_user (given with the manager role), but no longer a manager.
        (await user.PatchJsonAsync($"/v3/organizations/{org}", new { name = "renamed-" + name })).Expect(HttpStatusCode.Forbidden);
    }
}
