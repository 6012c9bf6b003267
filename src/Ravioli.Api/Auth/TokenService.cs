using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Ravioli.Api.Secrets;
using Ravioli.Store;
using Ravioli.Store.Entities;

using Ravioli.Core.Security;
namespace Ravioli.Api.Auth;

/// <summary>Issues and validates access tokens (RS256 JWTs) and refresh tokens (opaque, hashed at rest, single use).</summary>
public sealed class TokenService
{
    public const string Issuer = "ravioli";
    public const string Audience = "ravioli-api";
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(5);

    private readonly RavioliApiOptions _options;
    private readonly TimeProvider _time;
    private readonly RsaSecurityKey _key;
    private readonly SigningCredentials _signing;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly TokenValidationParameters _validation;

    public TokenService(IOptions<RavioliApiOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        var rsa = RSA.Create();
        var pem = KeyFiles.ReadOrCreate(Path.Combine(KeyFiles.KeysDirectory(_options.DataDirectory), "token-signing.pem"), () =>
        {
            using var fresh = RSA.Create(2048);
            return Encoding.ASCII.GetBytes(fresh.ExportPkcs8PrivateKeyPem());
        });
        rsa.ImportFromPem(Encoding.ASCII.GetString(pem));
        _key = new RsaSecurityKey(rsa) { KeyId = Thumbprint(rsa) };
        _signing = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256);
        _validation = new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = Audience,
            IssuerSigningKey = _key,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            // Checked against our TimeProvider so tests can move time; the library would use the wall clock.
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = _time.GetUtcNow().UtcDateTime;
                return expires is { } exp && now < exp + ClockSkew && (notBefore is not { } nbf || now + ClockSkew >= nbf);
            },
        };
    }

    public TimeSpan AccessTokenLifetime => _options.AccessTokenLifetime;

    public object Jwks()
    {
        var parameters = _key.Rsa.ExportParameters(false);
        return new
        {
            keys = new[]
            {
                new { kty = "RSA", use = "sig", alg = "RS256", kid = _key.KeyId, n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) },
            },
        };
    }

    public sealed record IssuedTokens(string AccessToken, string RefreshToken, string Jti, string Scope, int ExpiresIn);

    public async Task<IssuedTokens> IssueAsync(RavioliDb db, UserEntity user, CancellationToken ct)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var jti = Guid.NewGuid().ToString("N");
        var scope = user.Admin
            ? "openid cloud_controller.read cloud_controller.write cloud_controller.admin"
            : "openid cloud_controller.read cloud_controller.write";
        var access = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + _options.AccessTokenLifetime,
            SigningCredentials = _signing,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = user.Guid,
                ["user_id"] = user.Guid,
                ["user_name"] = user.Username,
                ["client_id"] = "rav",
                ["scope"] = scope.Split(' '),
                ["jti"] = jti,
            },
        });
        var refresh = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        db.RefreshTokens.Add(new RefreshTokenEntity
        {
            UserGuid = user.Guid,
            TokenHash = HashRefreshToken(refresh),
            CreatedAt = now,
            ExpiresAt = now + _options.RefreshTokenLifetime,
        });
        await db.SaveChangesAsync(ct);
        return new IssuedTokens(access, refresh, jti, scope, (int)_options.AccessTokenLifetime.TotalSeconds);
    }

    /// <summary>Consumes a refresh token: the user it belongs to, or null if it is unknown, expired or already used.</summary>
    public async Task<UserEntity?> RedeemRefreshTokenAsync(RavioliDb db, string refreshToken, CancellationToken ct)
    {
        var hash = HashRefreshToken(refreshToken);
        var now = _time.GetUtcNow().UtcDateTime;
        var stored = await db.RefreshTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash, ct);
        if (stored is null || stored.ExpiresAt <= now)
        {
            return null;
        }
        // Claim the token with a conditional update so two concurrent refreshes cannot both succeed.
        var claimed = await db.RefreshTokens.Where(t => t.Guid == stored.Guid && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
        if (claimed == 0)
        {
            // A used token came back: someone holds a copy. Revoke the whole family (OAuth 2.1 reuse detection).
            await RevokeAllAsync(db, stored.UserGuid, ct);
            return null;
        }
        return await db.Users.FirstOrDefaultAsync(u => u.Guid == stored.UserGuid, ct);
    }

    public async Task RevokeAsync(RavioliDb db, string refreshToken, CancellationToken ct)
    {
        var hash = HashRefreshToken(refreshToken);
        var now = _time.GetUtcNow().UtcDateTime;
        await db.RefreshTokens.Where(t => t.TokenHash == hash && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
    }

    public async Task RevokeAllAsync(RavioliDb db, string userGuid, CancellationToken ct)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        await db.RefreshTokens.Where(t => t.UserGuid == userGuid && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
    }

    /// <summary>The user guid the token was issued to, or the reason it is not acceptable.</summary>
    public async Task<(string? UserGuid, string? Error)> ValidateAccessTokenAsync(string token)
    {
        var result = await _handler.ValidateTokenAsync(token, _validation);
        if (!result.IsValid)
        {
            return (null, result.Exception switch
            {
                SecurityTokenExpiredException or SecurityTokenInvalidLifetimeException => "The access token has expired; refresh it (POST /oauth/token, grant_type=refresh_token) or log in again.",
                SecurityTokenInvalidAudienceException => "The access token was issued for another audience.",
                SecurityTokenInvalidIssuerException => "The access token was issued by someone else.",
                _ => "The access token is invalid (bad signature or malformed). Log in again.",
            });
        }
        return result.Claims.TryGetValue("sub", out var sub) && sub is string guid ? (guid, null) : (null, "The access token names no user.");
    }

    private static string HashRefreshToken(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Thumbprint(RSA rsa)
    {
        var p = rsa.ExportParameters(false);
        // RFC 7638 JWK thumbprint: members in lexicographic order, no whitespace.
        var json = $"{{\"e\":\"{Base64UrlEncoder.Encode(p.Exponent)}\",\"kty\":\"RSA\",\"n\":\"{Base64UrlEncoder.Encode(p.Modulus)}\"}}";
        return Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(json)));
    }
}
