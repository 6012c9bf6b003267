using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ravioli.Api.Http;
using Ravioli.Store;

namespace Ravioli.Api.Auth;

/// <summary>
/// Validates the bearer token and loads the caller's user and roles from the database on every
/// request, so a deleted user or a removed role takes effect at once rather than at token expiry.
/// </summary>
internal sealed class BearerHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    TokenService tokens, RavioliDb db, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";
    private const string FailureKey = "ravioli.auth-failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Fail("Use 'Authorization: Bearer <access token>'.");
        }
        var (userGuid, error) = await tokens.ValidateAccessTokenAsync(header["Bearer ".Length..].Trim());
        if (userGuid is null)
        {
            return Fail(error!);
        }
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Guid == userGuid, Context.RequestAborted);
        if (user is null)
        {
            return Fail("The user this token was issued to no longer exists.");
        }
        var roles = await db.Roles.AsNoTracking().Where(r => r.UserGuid == userGuid)
            .Select(r => new RoleGrant(r.Type, r.OrganizationGuid, r.SpaceGuid)).ToListAsync(Context.RequestAborted);
        new Caller(user.Guid, user.Username, user.Admin, roles).AttachTo(Context);
        var identity = new ClaimsIdentity([new Claim("sub", user.Guid), new Claim(ClaimTypes.Name, user.Username)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    private AuthenticateResult Fail(string reason)
    {
        Context.Items[FailureKey] = reason;
        return AuthenticateResult.Fail(reason);
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var reason = Context.Items[FailureKey] as string
            ?? "This endpoint needs 'Authorization: Bearer <access token>'. Get one from POST /oauth/token (or run 'rav login').";
        var problem = ApiProblem.Unauthenticated(reason);
        problem.Headers["WWW-Authenticate"] = Context.Items.ContainsKey(FailureKey) ? "Bearer error=\"invalid_token\"" : "Bearer";
        await ProblemWriter.WriteAsync(problems, Context, problem);
    }
}
