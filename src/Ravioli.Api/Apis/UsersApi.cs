using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Ravioli.Api.Audit;
using Ravioli.Api.Auth;
using Ravioli.Api.Http;
using Ravioli.Core.Tenancy;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Apis;

public sealed record UserResource(
    string Guid, DateTime CreatedAt, DateTime UpdatedAt, string Username, string PresentationName, string Origin, bool Admin,
    IReadOnlyDictionary<string, Link> Links);

public sealed record CreateUserRequest(string? Username, string? Password, bool? Admin);

public sealed record UpdateUserRequest(string? Password, string? CurrentPassword, bool? Admin);

public static class UsersApi
{
    public static RouteGroupBuilder MapUsersApi(this RouteGroupBuilder v3)
    {
        var users = v3.MapGroup("/users").WithTags("Users");
        users.MapGet("/", ListAsync);
        users.MapPost("/", CreateAsync).Accepts<CreateUserRequest>("application/json");
        users.MapGet("/{guid}", GetAsync);
        users.MapPatch("/{guid}", UpdateAsync).Accepts<UpdateUserRequest>("application/json");
        users.MapDelete("/{guid}", DeleteAsync);
        return v3;
    }

    internal static UserResource Present(HttpRequest request, UserEntity u) => new(
        u.Guid, u.CreatedAt, u.UpdatedAt, u.Username, u.Username, "ravioli", u.Admin,
        new Dictionary<string, Link> { ["self"] = Urls.To(request, $"/v3/users/{u.Guid}") });

    /// <summary>Admins see everyone; others see themselves and the people who share an org they can see.</summary>
    internal static IQueryable<UserEntity> VisibleUsers(RavioliDb db, Caller caller)
    {
        if (caller.IsAdmin)
        {
            return db.Users;
        }
        var orgs = caller.OrganizationGuids.ToArray();
        var me = caller.UserGuid;
        return db.Users.Where(u => u.Guid == me || db.Roles.Any(r => r.UserGuid == u.Guid && orgs.Contains(r.OrganizationGuid)));
    }

    private static async Task<Ok<Page<UserResource>>> ListAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var query = ListQuery.Parse(request, "usernames", "guids");
        var source = VisibleUsers(db, caller).AsNoTracking();
        if (query.Filter("usernames") is { } names)
        {
            var keys = names.Select(Names.UsernameKey).ToArray();
            source = source.Where(u => keys.Contains(u.UsernameKey));
        }
        source = source.WhereIn(query, "guids", u => u.Guid);
        return TypedResults.Ok(await Lists.PageAsync(source, query, request, u => Present(request, u), ct));
    }

    private static async Task<Created<UserResource>> CreateAsync(
        HttpRequest request, Caller caller, RavioliDb db, IOptions<RavioliApiOptions> options, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<CreateUserRequest>(request);
        Visible.Require(caller.IsAdmin, "Only platform admins can create users.");
        var errors = new FieldErrors();
        errors.Check("username", Names.CheckUsername(body.Username));
        errors.Check("password", Names.CheckPassword(body.Password));
        errors.ThrowIfAny();
        var key = Names.UsernameKey(body.Username!);
        var message = $"a user named '{body.Username}' already exists (usernames ignore case)";
        if (await db.Users.AnyAsync(u => u.UsernameKey == key, ct))
        {
            throw ApiProblem.Invalid("username", message);
        }
        var user = new UserEntity
        {
            Username = body.Username!,
            UsernameKey = key,
            PasswordHash = PasswordHasher.Hash(body.Password!, options.Value.PasswordIterations),
            Admin = body.Admin ?? false,
        };
        db.Users.Add(user);
        AuditLog.Record(db, caller, "audit.user.create", new("user", user.Guid, user.Username), null, null, new { username = user.Username, admin = user.Admin });
        await OrganizationsApi.SaveUniqueAsync(db, "username", message, ct);
        return TypedResults.Created($"/v3/users/{user.Guid}", Present(request, user));
    }

    private static async Task<Ok<UserResource>> GetAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct) =>
        TypedResults.Ok(Present(request, await FindAsync(db, caller, guid, ct)));

    private static async Task<UserEntity> FindAsync(RavioliDb db, Caller caller, string guid, CancellationToken ct) =>
        await VisibleUsers(db, caller).FirstOrDefaultAsync(u => u.Guid == guid, ct) ?? throw ApiProblem.NotFound("User", guid);

    private static async Task<Ok<UserResource>> UpdateAsync(
        string guid, HttpRequest request, Caller caller, RavioliDb db, TokenService tokens, IOptions<RavioliApiOptions> options, CancellationToken ct)
    {
        var user = await FindAsync(db, caller, guid, ct);
        var body = await JsonBody.ReadAsync<UpdateUserRequest>(request);
        var self = user.Guid == caller.UserGuid;
        Visible.Require(caller.IsAdmin || (self && body.Admin is null), "You may change only your own password; admins manage other users.");
        var errors = new FieldErrors();
        if (body.Password is not null)
        {
            errors.Check("password", Names.CheckPassword(body.Password));
            // Someone holding a stolen token must not be able to take the account over.
            if (!caller.IsAdmin && (body.CurrentPassword is null || !PasswordHasher.Verify(body.CurrentPassword, user.PasswordHash)))
            {
                errors.Add("current_password", "must be your current password");
            }
        }
        errors.ThrowIfAny();
        if (body.Admin == false && user.Admin && !await db.Users.AnyAsync(u => u.Admin && u.Guid != user.Guid, ct))
        {
            throw ApiProblem.Invalid("admin", "this is the last admin; make someone else admin first");
        }
        if (body.Password is not null)
        {
            user.PasswordHash = PasswordHasher.Hash(body.Password, options.Value.PasswordIterations);
            await tokens.RevokeAllAsync(db, user.Guid, ct);
        }
        user.Admin = body.Admin ?? user.Admin;
        AuditLog.Record(db, caller, "audit.user.update", new("user", user.Guid, user.Username), null, null,
            new { password_changed = body.Password is not null, admin = body.Admin });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(Present(request, user));
    }

    private static async Task<NoContent> DeleteAsync(string guid, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var user = await FindAsync(db, caller, guid, ct);
        Visible.Require(caller.IsAdmin, "Only platform admins can delete users.");
        if (user.Admin && !await db.Users.AnyAsync(u => u.Admin && u.Guid != user.Guid, ct))
        {
            throw ApiProblem.Unprocessable("This is the last admin user; create another admin before deleting it.");
        }
        // Roles and refresh tokens cascade; access tokens stop working because each request re-reads the user.
        db.Users.Remove(user);
        AuditLog.Record(db, caller, "audit.user.delete", new("user", user.Guid, user.Username), null, null);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }
}
