using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Ravioli.Api.Auth;
using Ravioli.Api.Http;
using Ravioli.Core.Tenancy;
using Ravioli.Store;

namespace Ravioli.Api.Apis;

public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn, string RefreshToken, string Scope, string Jti);

/// <summary>The token endpoint in UAA's shape, so Cloud Foundry tooling and habits carry over.</summary>
public static class TokenApi
{
    private const int FormLimit = 16 * 1024;

    public static IEndpointRouteBuilder MapTokenApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("Tokens").AllowAnonymous();
        group.MapPost("/oauth/token", TokenAsync).DisableAntiforgery();
        group.MapPost("/oauth/revoke", RevokeAsync).DisableAntiforgery();
        group.MapGet("/.well-known/jwks.json", (TokenService tokens) => TypedResults.Ok(tokens.Jwks()));
        return app;
    }

    private static async Task<IResult> TokenAsync(
        HttpRequest request, RavioliDb db, TokenService tokens, LoginThrottle throttle, IOptions<RavioliApiOptions> options, CancellationToken ct)
    {
        var form = await ReadFormAsync(request, ct);
        var grant = form["grant_type"].ToString();
        switch (grant)
        {
            case "password":
            {
                var username = form["username"].ToString();
                var password = form["password"].ToString();
                if (username.Length == 0 || password.Length == 0)
                {
                    throw OAuthError(400, "invalid_request", "Send username and password.");
                }
                var key = Names.UsernameKey(username);
                if (throttle.RetryAfter(key) is { } wait)
                {
                    var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                    var throttled = OAuthError(429, "too_many_attempts", $"Too many failed logins for '{username}'. Try again in {seconds} s.");
                    throttled.Headers["Retry-After"] = seconds.ToString(CultureInfo.InvariantCulture);
                    throw throttled;
                }
                var user = await db.Users.FirstOrDefaultAsync(u => u.UsernameKey == key, ct);
                if (!PasswordHasher.Verify(password, user?.PasswordHash ?? PasswordHasher.Decoy(options.Value.PasswordIterations)) || user is null)
                {
                    throttle.Failed(key);
                    throw OAuthError(401, "invalid_grant", "Invalid username or password.");
                }
                throttle.Succeeded(key);
                return Issue(await tokens.IssueAsync(db, user, ct));
            }
            case "refresh_token":
            {
                var refresh = form["refresh_token"].ToString();
                if (refresh.Length == 0)
                {
                    throw OAuthError(400, "invalid_request", "Send refresh_token.");
                }
                var user = await tokens.RedeemRefreshTokenAsync(db, refresh, ct)
                    ?? throw OAuthError(401, "invalid_grant", "The refresh token is invalid, expired or revoked. Log in again.");
                return Issue(await tokens.IssueAsync(db, user, ct));
            }
            default:
                throw OAuthError(400, "unsupported_grant_type", "grant_type must be 'password' or 'refresh_token'.");
        }
    }

    private static Microsoft.AspNetCore.Http.HttpResults.Ok<TokenResponse> Issue(TokenService.IssuedTokens t) =>
        TypedResults.Ok(new TokenResponse(t.AccessToken, "bearer", t.ExpiresIn, t.RefreshToken, t.Scope, t.Jti));

    private static async Task<IResult> RevokeAsync(HttpRequest request, RavioliDb db, TokenService tokens, CancellationToken ct)
    {
        var form = await ReadFormAsync(request, ct);
        var token = form["token"].ToString();
        if (token.Length == 0)
        {
            throw OAuthError(400, "invalid_request", "Send the refresh token to revoke as 'token'.");
        }
        // RFC 7009: unknown tokens are not an error, so the answer reveals nothing.
        await tokens.RevokeAsync(db, token, ct);
        return TypedResults.Ok();
    }

    private static async Task<IFormCollection> ReadFormAsync(HttpRequest request, CancellationToken ct)
    {
        if (!request.HasFormContentType)
        {
            throw new ApiProblem(415, "unsupported-media-type", "Unsupported media type",
                "Send the token request as 'application/x-www-form-urlencoded', as OAuth 2.0 requires.");
        }
        if (request.ContentLength > FormLimit)
        {
            throw ApiProblem.TooLarge(FormLimit);
        }
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new FormOptions { ValueLengthLimit = FormLimit, KeyLengthLimit = 256, ValueCountLimit = 32, BufferBodyLengthLimit = FormLimit }, ct);
        }
        catch (InvalidDataException e)
        {
            throw ApiProblem.BadRequest($"The form could not be read: {e.Message}");
        }
        // No username, password or token holds one, and PostgreSQL refuses it as a query parameter.
        if (form.Any(f => f.Key.Contains('\0', StringComparison.Ordinal) || f.Value.Any(v => v?.Contains('\0', StringComparison.Ordinal) == true)))
        {
            throw OAuthError(400, "invalid_request", "The form contains a NUL character (%00).");
        }
        return form;
    }

    private static ApiProblem OAuthError(int status, string error, string description)
    {
        var problem = status switch
        {
            401 => ApiProblem.Unauthenticated(description),
            429 => new ApiProblem(429, "too-many-requests", "Too many requests", description),
            _ => ApiProblem.BadRequest(description),
        };
        problem.Extensions["error"] = error;
        problem.Extensions["error_description"] = description;
        return problem;
    }
}
