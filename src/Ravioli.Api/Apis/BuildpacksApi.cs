using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Ravioli.Api.Audit;
using Ravioli.Api.Auth;
using Ravioli.Api.Builds;
using Ravioli.Api.Http;
using Ravioli.Core.Tenancy;
using Ravioli.Staging.Buildpacks;
using Ravioli.Staging.Droplets;
using Ravioli.Staging.Packages;
using Ravioli.Store;
using Ravioli.Store.Blobs;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Apis;

public sealed record BuildpackResource(
    string Guid, DateTime? CreatedAt, DateTime? UpdatedAt, string Name, string State, string? Filename, string Stack,
    int Position, bool Enabled, bool Locked, IReadOnlyDictionary<string, Link> Links);

public sealed record BuildpackRequest(string? Name, int? Position, bool? Enabled, string? Stack);

/// <summary>
/// Buildpacks in detection order. Built-ins are part of the platform (locked, named like Cloud Foundry's);
/// operators add their own (a zip following CF's bin/detect, supply/finalize or compile, release contract) at a position.
/// </summary>
public static class BuildpacksApi
{
    public static RouteGroupBuilder MapBuildpacksApi(this RouteGroupBuilder v3)
    {
        var buildpacks = v3.MapGroup("/buildpacks").WithTags("Buildpacks");
        buildpacks.MapGet("/", ListAsync);
        buildpacks.MapPost("/", CreateAsync).Accepts<BuildpackRequest>("application/json");
        buildpacks.MapPatch("/{guid}", UpdateAsync).Accepts<BuildpackRequest>("application/json");
        buildpacks.MapDelete("/{guid}", DeleteAsync);
        buildpacks.MapPost("/{guid}/upload", UploadAsync).DisableAntiforgery();
        return v3;
    }

    private static BuildpackResource Present(HttpRequest request, BuildpackEntity b) => new(
        b.Guid, b.CreatedAt, b.UpdatedAt, b.Name, b.BlobKey is null ? "AWAITING_UPLOAD" : "READY", b.Filename, AppsApi.DefaultStack,
        b.Position, b.Enabled, false, new Dictionary<string, Link>
        {
            ["self"] = Urls.To(request, $"/v3/buildpacks/{b.Guid}"),
            ["upload"] = Urls.To(request, $"/v3/buildpacks/{b.Guid}/upload"),
        });

    private static async Task<Ok<object>> ListAsync(HttpRequest request, RavioliDb db, StagingService staging, CancellationToken ct)
    {
        var operators = await db.Buildpacks.AsNoTracking().ToListAsync(ct);
        var registry = staging.RegistryFor(operators);
        var inRegistry = registry.Buildpacks.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var ordered = registry.Buildpacks.Select(r => operators.FirstOrDefault(o => o.Name == r.Name) is { } o
                ? Present(request, o) with { Position = r.Position }
                : new BuildpackResource(r.Name, null, null, r.Name, "READY", null, AppsApi.DefaultStack, r.Position, true, true,
                    new Dictionary<string, Link> { ["self"] = Urls.To(request, "/v3/buildpacks") }))
            .Concat(operators.Where(o => !inRegistry.Contains(o.Name)).Select(o => Present(request, o)))
            .ToList();
        return TypedResults.Ok<object>(new { pagination = new { total_results = ordered.Count, total_pages = 1 }, resources = ordered });
    }

    private static async Task<BuildpackEntity> FindAsync(RavioliDb db, string guid, CancellationToken ct) =>
        await db.Buildpacks.FirstOrDefaultAsync(b => b.Guid == guid, ct)
            ?? (BuildpackNames.All.Contains(guid)
                ? throw ApiProblem.Unprocessable($"'{guid}' is a built-in buildpack; built-ins cannot be changed or deleted.")
                : throw ApiProblem.NotFound("Buildpack", guid));

    private static void Check(BuildpackRequest body, bool creating, FieldErrors errors)
    {
        if (creating || body.Name is not null)
        {
            errors.Check("name", Names.CheckResourceName(body.Name));
            if (body.Name is not null && BuildpackNames.All.Contains(body.Name))
            {
                errors.Add("name", "is the name of a built-in buildpack");
            }
            else if (body.Name is not null && !BuildpackRegistry.IsValidName(body.Name))
            {
                errors.Add("name", "may contain only letters, digits, '_', '-' and '.'");
            }
        }
        if (body.Position is < 1 or > 10_000)
        {
            errors.Add("position", "must be from 1 to 10000 (1 is detected first)");
        }
        if (body.Stack is not null && body.Stack != AppsApi.DefaultStack)
        {
            errors.Add("stack", $"the only stack is '{AppsApi.DefaultStack}'");
        }
    }

    private static async Task<Created<BuildpackResource>> CreateAsync(HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<BuildpackRequest>(request);
        Visible.Require(caller.IsAdmin, "Only platform admins can add buildpacks.");
        var errors = new FieldErrors();
        Check(body, creating: true, errors);
        errors.ThrowIfAny();
        var message = $"a buildpack named '{body.Name}' already exists";
        if (await db.Buildpacks.AnyAsync(b => b.Name == body.Name, ct))
        {
            throw ApiProblem.Invalid("name", message);
        }
        var buildpack = new BuildpackEntity { Name = body.Name!, Position = body.Position ?? 1, Enabled = body.Enabled ?? true };
        db.Buildpacks.Add(buildpack);
        AuditLog.Record(db, caller, "audit.buildpack.create", new("buildpack", buildpack.Guid, buildpack.Name), null, null, body);
        await OrganizationsApi.SaveUniqueAsync(db, "name", message, ct);
        return TypedResults.Created($"/v3/buildpacks/{buildpack.Guid}", Present(request, buildpack));
    }

    private static async Task<Ok<BuildpackResource>> UpdateAsync(string guid, HttpRequest request, Caller caller, RavioliDb db, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<BuildpackRequest>(request);
        Visible.Require(caller.IsAdmin, "Only platform admins can change buildpacks.");
        var buildpack = await FindAsync(db, guid, ct);
        var errors = new FieldErrors();
        Check(body, creating: false, errors);
        errors.ThrowIfAny();
        buildpack.Name = body.Name ?? buildpack.Name;
        buildpack.Position = body.Position ?? buildpack.Position;
        buildpack.Enabled = body.Enabled ?? buildpack.Enabled;
        AuditLog.Record(db, caller, "audit.buildpack.update", new("buildpack", buildpack.Guid, buildpack.Name), null, null, body);
        await OrganizationsApi.SaveUniqueAsync(db, "name", $"a buildpack named '{body.Name}' already exists", ct);
        return TypedResults.Ok(Present(request, buildpack));
    }

    private static async Task<NoContent> DeleteAsync(string guid, Caller caller, RavioliDb db, StagingService staging, CancellationToken ct)
    {
        Visible.Require(caller.IsAdmin, "Only platform admins can delete buildpacks.");
        var buildpack = await FindAsync(db, guid, ct);
        db.Buildpacks.Remove(buildpack);
        AuditLog.Record(db, caller, "audit.buildpack.delete", new("buildpack", buildpack.Guid, buildpack.Name), null, null);
        await db.SaveChangesAsync(ct);
        var directory = staging.BuildpackDirectory(buildpack.Guid);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
        return TypedResults.NoContent();
    }

    /// <summary>Receives the zip, installs it safely (zip-slip and symlink checks, bin/detect required), then marks it READY.</summary>
    private static async Task<Ok<BuildpackResource>> UploadAsync(
        string guid, HttpRequest request, Caller caller, RavioliDb db, BlobStore blobs, PackageLimits limits, StagingService staging, CancellationToken ct)
    {
        Visible.Require(caller.IsAdmin, "Only platform admins can upload buildpacks.");
        var buildpack = await FindAsync(db, guid, ct);
        if (!(request.ContentType ?? "").StartsWith("application/zip", StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiProblem(415, "unsupported-media-type", "Unsupported media type", "Upload the buildpack with 'Content-Type: application/zip'.");
        }
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limits.MaxUploadBytes + 64 * 1024;
        }
        (string Path, string Sha256, long Size) received;
        try
        {
            received = await blobs.ReceiveAsync(request.Body, limits.MaxUploadBytes, ct);
        }
        catch (BlobTooLargeException e)
        {
            throw ApiProblem.TooLarge(e.Limit);
        }
        try
        {
            await BuildpackPackage.InstallAsync(received.Path, staging.BuildpackDirectory(buildpack.Guid), limits.MaxExpandedBytes, limits.MaxEntries, ct);
        }
        catch (ArchiveRejectedException e)
        {
            File.Delete(received.Path);
            throw new ApiProblem(422, "validation", "Upload rejected", e.Message, new Dictionary<string, string[]> { ["bits"] = [e.Message] });
        }
        catch
        {
            File.Delete(received.Path);
            throw;
        }
        buildpack.BlobKey = blobs.Commit(received.Path, received.Sha256);
        buildpack.Filename = request.Headers["X-Filename"].FirstOrDefault() is { Length: > 0 and <= 255 } name && !name.Contains('/', StringComparison.Ordinal) ? name : $"{buildpack.Name}.zip";
        AuditLog.Record(db, caller, "audit.buildpack.upload", new("buildpack", buildpack.Guid, buildpack.Name), null, null, new { size = received.Size, sha256 = received.Sha256 });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(Present(request, buildpack));
    }
}
