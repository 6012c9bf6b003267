using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Ravioli.Api.Http;
using Ravioli.Store;

namespace Ravioli.Api.Apis;

public static class RootApi
{
    public static string Version { get; } =
        typeof(RootApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static IEndpointRouteBuilder MapRootApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpRequest request, IOptions<RavioliApiOptions> options) => TypedResults.Ok(new
        {
            links = new Dictionary<string, Link>
            {
                ["self"] = Urls.To(request, "/"),
                ["cloud_controller_v3"] = Urls.To(request, "/v3"),
                ["login"] = Urls.To(request, "/"),
                ["uaa"] = Urls.To(request, "/"),
                ["openapi"] = Urls.To(request, "/openapi/v1.json"),
            },
            ravioli = new
            {
                version = Version,
                api_version = "3",
                apps_domain = options.Value.AppsDomain,
                router_port = options.Value.RouterPort,
                token_endpoint = Urls.Base(request) + "/oauth/token",
            },
        })).WithTags("Platform").AllowAnonymous();

        app.MapGet("/v3", (HttpRequest request) => TypedResults.Ok(new
        {
            links = new[] { "organizations", "spaces", "users", "roles", "organization_quotas", "apps", "audit_events", "processes", "domains", "routes", "packages", "builds", "buildpacks", "droplets" }
                .ToDictionary(name => name, name => Urls.To(request, $"/v3/{name}")),
        })).WithTags("Platform").AllowAnonymous();

        app.MapGet("/healthz", async (RavioliDb db, DatabaseReadiness readiness, HttpContext context, CancellationToken ct) =>
        {
            try
            {
                // Migrations only ever get applied at start, so once none are pending the answer is cached; after that
                // a probe costs one indexed read of a real table, which is what fails when the database is away.
                if (!readiness.Migrated)
                {
                    if ((await db.Database.GetPendingMigrationsAsync(ct)).Any())
                    {
                        return Results.Problem(statusCode: 503, title: "Not ready", detail: "Database migrations are still being applied.",
                            extensions: new Dictionary<string, object?> { ["database"] = "migrating" });
                    }
                    readiness.Migrated = true;
                }
                await db.Organizations.AsNoTracking().AnyAsync(ct);
                return Results.Ok(new { status = "ok", database = "ok" });
            }
            catch (Exception e) when (StoreSetup.IsUnavailable(e) || StoreSetup.IsDiskFull(e))
            {
                context.Response.Headers.RetryAfter = ProblemExceptionHandler.RetryAfterSeconds;
                return Results.Problem(statusCode: 503, title: "Not ready",
                    detail: StoreSetup.IsLocked(e) ? "The platform database is unavailable (locked by another process)."
                        : StoreSetup.IsDiskFull(e) ? "The platform database's disk is full." : "The platform database is unavailable (it cannot be reached).",
                    extensions: new Dictionary<string, object?> { ["database"] = "unavailable" });
            }
        }).WithTags("Platform").AllowAnonymous();
        return app;
    }
}

/// <summary>Whether this process has seen the schema fully migrated; it only moves from false to true.</summary>
public sealed class DatabaseReadiness
{
    private volatile bool _migrated;

    public bool Migrated { get => _migrated; set => _migrated = value; }
}
